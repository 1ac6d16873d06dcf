// A wrong `crate` path is one error, on the string: the rest of the expansion goes through the
// one `use` that names it.
use jobs_runtime::{JobContext, State};

struct Db;

#[jobs_runtime::job(every = "1h", crate = "crate::reexport::jobs", on_failure = "alert")]
async fn invoices(_db: State<Db>, _ctx: JobContext) {}

async fn alert(_failure: jobs_runtime::Failure) {}

fn main() {}
