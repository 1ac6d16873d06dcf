//! Run sequences collected from the public test suites of other cron implementations (croniter,
//! cron-parser, croner, Quartz and its .NET port) and from the cronie and Vixie cron manuals, each
//! translated into the crontab(5) semantics of this crate: seconds first in six and seven fields,
//! weekdays 0-7 with 0 and 7 Sunday, and the Vixie rule that ORs day-of-month and day-of-week
//! when neither field starts with `*` or `?`.
//!
//! Where a source numbers weekdays differently, orders fields differently, or answers differently
//! because its day or time zone rules differ, the vector was translated or recomputed by hand and
//! its `source` says so. Every expected instant was checked against a calendar.

use chrono::{DateTime, Utc};
use jobs_schedule::{Schedule, Tz};

/// The instants a schedule produces after a start instant.
struct Vector {
    expr: &'static str,
    /// IANA name of the zone the expression is read in.
    tz: &'static str,
    start: &'static str,
    /// The first instants strictly after `start`, in RFC 3339.
    expected: &'static [&'static str],
    /// The schedule has no instant after the last expected one, so the iterator must end there.
    ends: bool,
    /// Project, file and test the vector comes from, and how it was translated.
    source: &'static str,
}

const VECTORS: &[Vector] = &[
    // croniter (Python). Its optional seconds field comes after day-of-week, and its year field
    // after that, so six- and seven-field vectors are reordered to put seconds first.
    Vector {
        expr: "15,25 * * * * *",
        tz: "UTC",
        start: "2012-04-06T13:26:10Z",
        expected: &[
            "2012-04-06T13:26:15Z",
            "2012-04-06T13:26:25Z",
            "2012-04-06T13:27:15Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_second_sec; translated: croniter puts seconds last, `* * * * * 15,25`)",
    },
    Vector {
        expr: "*/15 * * * * *",
        tz: "UTC",
        start: "2012-04-06T13:26:36Z",
        expected: &[
            "2012-04-06T13:26:45Z",
            "2012-04-06T13:27:00Z",
            "2012-04-06T13:27:15Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_second_repeat; translated: croniter puts seconds last, `* * * * * */15`)",
    },
    Vector {
        expr: "*/5 * * * *",
        tz: "UTC",
        start: "2010-01-23T12:18:00Z",
        expected: &[
            "2010-01-23T12:20:00Z",
            "2010-01-23T12:25:00Z",
            "2010-01-23T12:30:00Z",
            "2010-01-23T12:35:00Z",
            "2010-01-23T12:40:00Z",
            "2010-01-23T12:45:00Z",
            "2010-01-23T12:50:00Z",
            "2010-01-23T12:55:00Z",
            "2010-01-23T13:00:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py test_minute)",
    },
    Vector {
        expr: "0 */3 * * *",
        tz: "UTC",
        start: "2010-01-24T12:02:00Z",
        expected: &[
            "2010-01-24T15:00:00Z",
            "2010-01-24T18:00:00Z",
            "2010-01-24T21:00:00Z",
            "2010-01-25T00:00:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py test_hour)",
    },
    Vector {
        expr: "0 0 */3 * *",
        tz: "UTC",
        start: "2010-02-24T12:09:00Z",
        expected: &[
            "2010-02-25T00:00:00Z",
            "2010-02-28T00:00:00Z",
            "2010-03-01T00:00:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py test_day)",
    },
    Vector {
        expr: "0 0 * * *",
        tz: "UTC",
        start: "1996-02-27T00:00:00Z",
        expected: &[
            "1996-02-28T00:00:00Z",
            "1996-02-29T00:00:00Z",
            "1996-03-01T00:00:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py test_day, \
            leap year 1996; third instant added)",
    },
    Vector {
        expr: "0 0 * * *",
        tz: "UTC",
        start: "2000-02-27T00:00:00Z",
        expected: &[
            "2000-02-28T00:00:00Z",
            "2000-02-29T00:00:00Z",
            "2000-03-01T00:00:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py test_day, \
            leap year 2000; third instant added)",
    },
    Vector {
        expr: "0 0 * * sat",
        tz: "UTC",
        start: "2010-02-25T00:00:00Z",
        expected: &["2010-02-27T00:00:00Z", "2010-03-06T00:00:00Z"],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py test_weekday)",
    },
    Vector {
        expr: "0 0 1 * wed",
        tz: "UTC",
        start: "2010-01-25T00:00:00Z",
        expected: &[
            "2010-01-27T00:00:00Z",
            "2010-02-01T00:00:00Z",
            "2010-02-03T00:00:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py test_weekday, \
            OR of day-of-month and day-of-week)",
    },
    Vector {
        expr: "0 0 * * sat#1",
        tz: "UTC",
        start: "2010-02-25T00:00:00Z",
        expected: &["2010-03-06T00:00:00Z", "2010-04-03T00:00:00Z"],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_nth_weekday)",
    },
    Vector {
        expr: "0 0 * * wed#5",
        tz: "UTC",
        start: "2010-01-25T00:00:00Z",
        expected: &[
            "2010-03-31T00:00:00Z",
            "2010-06-30T00:00:00Z",
            "2010-09-29T00:00:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_nth_weekday)",
    },
    Vector {
        expr: "0 0 L * *",
        tz: "UTC",
        start: "2015-09-04T00:00:00Z",
        expected: &[
            "2015-09-30T00:00:00Z",
            "2015-10-31T00:00:00Z",
            "2015-11-30T00:00:00Z",
            "2015-12-31T00:00:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_last_day_of_month; translated: `l` written as `L`)",
    },
    Vector {
        expr: "0 16 */2 * sat",
        tz: "UTC",
        start: "2023-05-02T00:00:00Z",
        expected: &[
            "2023-05-13T16:00:00Z",
            "2023-05-27T16:00:00Z",
            "2023-06-03T16:00:00Z",
            "2023-06-17T16:00:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_dom_dow_vixie_cron_bug; the implement_cron_bug=True answer, because \
            day-of-month starts with `*`, so like Vixie cron the day fields are ANDed)",
    },
    Vector {
        expr: "0 * * 3 *",
        tz: "UTC",
        start: "2012-01-01T00:00:00Z",
        expected: &[
            "2012-03-01T00:00:00Z",
            "2012-03-01T01:00:00Z",
            "2012-03-01T02:00:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py test_bug2)",
    },
    Vector {
        expr: "00 03 16,30 * *",
        tz: "UTC",
        start: "2013-03-01T12:17:34.257877Z",
        expected: &[
            "2013-03-16T03:00:00Z",
            "2013-03-30T03:00:00Z",
            "2013-04-16T03:00:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py test_bug3)",
    },
    Vector {
        expr: "0 4/6 * * *",
        tz: "UTC",
        start: "2012-02-24T00:00:00Z",
        expected: &[
            "2012-02-24T04:00:00Z",
            "2012-02-24T10:00:00Z",
            "2012-02-24T16:00:00Z",
            "2012-02-24T22:00:00Z",
            "2012-02-25T04:00:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py test_bug57; \
            instants after the first added)",
    },
    Vector {
        expr: "0 0/6 * * *",
        tz: "UTC",
        start: "2012-02-24T00:00:00Z",
        expected: &[
            "2012-02-24T06:00:00Z",
            "2012-02-24T12:00:00Z",
            "2012-02-24T18:00:00Z",
            "2012-02-25T00:00:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py test_bug57; \
            instants after the first added)",
    },
    Vector {
        expr: "0 0 1 3,6,9,12 *",
        tz: "UTC",
        start: "2016-02-15T00:00:00Z",
        expected: &[
            "2016-03-01T00:00:00Z",
            "2016-06-01T00:00:00Z",
            "2016-09-01T00:00:00Z",
            "2016-12-01T00:00:00Z",
            "2017-03-01T00:00:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_multiple_months)",
    },
    Vector {
        expr: "1-9/2 0 1 * *",
        tz: "UTC",
        start: "2013-03-04T00:00:00Z",
        expected: &[
            "2013-04-01T00:01:00Z",
            "2013-04-01T00:03:00Z",
            "2013-04-01T00:05:00Z",
            "2013-04-01T00:07:00Z",
            "2013-04-01T00:09:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_range_generator)",
    },
    Vector {
        expr: "0 10 * * *",
        tz: "UTC",
        start: "2018-01-02T10:00:00.000500Z",
        expected: &["2018-01-03T10:00:00Z"],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_milliseconds)",
    },
    Vector {
        expr: "0 10 * * *",
        tz: "UTC",
        start: "2018-01-02T09:59:59.999999Z",
        expected: &["2018-01-02T10:00:00Z"],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_milliseconds)",
    },
    Vector {
        expr: "0 0 * * 5L",
        tz: "UTC",
        start: "1987-01-15T00:00:00Z",
        expected: &[
            "1987-01-30T00:00:00Z",
            "1987-02-27T00:00:00Z",
            "1987-03-27T00:00:00Z",
            "1987-04-24T00:00:00Z",
            "1987-05-29T00:00:00Z",
            "1987-06-26T00:00:00Z",
            "1987-07-31T00:00:00Z",
            "1987-08-28T00:00:00Z",
            "1987-09-25T00:00:00Z",
            "1987-10-30T00:00:00Z",
            "1987-11-27T00:00:00Z",
            "1987-12-25T00:00:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_lwom_friday; translated: croniter `L5` is `5L`)",
    },
    Vector {
        expr: "0,30 1,5 * * 5L",
        tz: "UTC",
        start: "1987-01-15T00:00:00Z",
        expected: &[
            "1987-01-30T01:00:00Z",
            "1987-01-30T01:30:00Z",
            "1987-01-30T05:00:00Z",
            "1987-01-30T05:30:00Z",
            "1987-02-27T01:00:00Z",
            "1987-02-27T01:30:00Z",
            "1987-02-27T05:00:00Z",
            "1987-02-27T05:30:00Z",
            "1987-03-27T01:00:00Z",
            "1987-03-27T01:30:00Z",
            "1987-03-27T05:00:00Z",
            "1987-03-27T05:30:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_lwom_friday_2xh_2xm; translated: croniter `L5` is `5L`)",
    },
    Vector {
        expr: "0 0 * * 2L,4L",
        tz: "UTC",
        start: "2016-06-01T00:00:00Z",
        expected: &[
            "2016-06-28T00:00:00Z",
            "2016-06-30T00:00:00Z",
            "2016-07-26T00:00:00Z",
            "2016-07-28T00:00:00Z",
            "2016-08-25T00:00:00Z",
            "2016-08-30T00:00:00Z",
            "2016-09-27T00:00:00Z",
            "2016-09-29T00:00:00Z",
            "2016-10-25T00:00:00Z",
            "2016-10-27T00:00:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_lwom_tue_thu; translated: croniter `L2,L4` is `2L,4L`)",
    },
    Vector {
        expr: "0 0 * * 6L,6#1",
        tz: "UTC",
        start: "2021-03-01T00:00:00Z",
        expected: &[
            "2021-03-06T00:00:00Z",
            "2021-03-27T00:00:00Z",
            "2021-04-03T00:00:00Z",
            "2021-04-24T00:00:00Z",
            "2021-05-01T00:00:00Z",
            "2021-05-29T00:00:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_lwom_mixup_firstlast_sat; translated: croniter `L6` is `6L`)",
    },
    Vector {
        expr: "0 0 * * 1#4,1L",
        tz: "UTC",
        start: "2021-11-01T00:00:00Z",
        expected: &[
            "2021-11-22T00:00:00Z",
            "2021-11-29T00:00:00Z",
            "2021-12-27T00:00:00Z",
            "2022-01-24T00:00:00Z",
            "2022-01-31T00:00:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_lwom_mixup_4th_and_last; translated: croniter `L1` is `1L`)",
    },
    Vector {
        expr: "0 0 1 * ?",
        tz: "UTC",
        start: "2010-08-25T15:56:00Z",
        expected: &["2010-09-01T00:00:00Z"],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_question_mark)",
    },
    Vector {
        expr: "0 0 0 11 * * 2060",
        tz: "UTC",
        start: "2050-01-01T00:00:00Z",
        expected: &["2060-01-11T00:00:00Z", "2060-02-11T00:00:00Z"],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py test_year; \
            translated: croniter `0 0 11 * * 0 2060` puts seconds sixth)",
    },
    Vector {
        expr: "0 0 0 29 2 * 2025,2021-2023,2028",
        tz: "UTC",
        start: "2020-01-01T00:00:00Z",
        expected: &["2028-02-29T00:00:00Z"],
        ends: true,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py test_year; \
            translated: croniter puts seconds sixth; no instant after 2028 added)",
    },
    Vector {
        expr: "0 0 0 29 2 * 2022/3",
        tz: "UTC",
        start: "2020-01-01T00:00:00Z",
        expected: &["2028-02-29T00:00:00Z", "2040-02-29T00:00:00Z"],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py test_year; \
            translated: croniter puts seconds sixth; second instant added)",
    },
    Vector {
        expr: "0 0 0 29 2 * 2023-2035/3",
        tz: "UTC",
        start: "2020-01-01T00:00:00Z",
        expected: &["2032-02-29T00:00:00Z"],
        ends: true,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py test_year; \
            translated: croniter puts seconds sixth; no instant after 2032 added)",
    },
    Vector {
        expr: "0 0 0 31 11-12 * 2023",
        tz: "UTC",
        start: "2000-01-30T00:00:00Z",
        expected: &["2023-12-31T00:00:00Z"],
        ends: true,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_year_with_other_field; translated: croniter puts seconds sixth)",
    },
    Vector {
        expr: "0 0 0 31 1-2 * 2023-2025",
        tz: "UTC",
        start: "2024-12-30T00:00:00Z",
        expected: &["2025-01-31T00:00:00Z"],
        ends: true,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_year_with_other_field; translated: croniter puts seconds sixth)",
    },
    Vector {
        expr: "0 0 * * *",
        tz: "Europe/Warsaw",
        start: "2017-03-25T23:00:00Z",
        expected: &["2017-03-26T22:00:00Z"],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py test_std_dst)",
    },
    Vector {
        expr: "0 * * * *",
        tz: "Europe/Warsaw",
        start: "2017-03-26T00:00:00Z",
        expected: &["2017-03-26T01:00:00Z", "2017-03-26T02:00:00Z"],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py test_std_dst; \
            second instant added)",
    },
    Vector {
        expr: "0 * * * *",
        tz: "Europe/Warsaw",
        start: "2017-10-28T23:59:00Z",
        expected: &[
            "2017-10-29T00:00:00Z",
            "2017-10-29T01:00:00Z",
            "2017-10-29T02:00:00Z",
            "2017-10-29T03:00:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py test_std_dst)",
    },
    Vector {
        expr: "*/30 * * * *",
        tz: "Europe/Athens",
        start: "2013-10-26T23:00:00Z",
        expected: &[
            "2013-10-26T23:30:00Z",
            "2013-10-27T00:00:00Z",
            "2013-10-27T00:30:00Z",
            "2013-10-27T01:00:00Z",
            "2013-10-27T01:30:00Z",
            "2013-10-27T02:00:00Z",
            "2013-10-27T02:30:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_timezone_winter_time)",
    },
    Vector {
        expr: "*/30 * * * *",
        tz: "Europe/Athens",
        start: "2013-03-30T23:00:00Z",
        expected: &[
            "2013-03-30T23:30:00Z",
            "2013-03-31T00:00:00Z",
            "2013-03-31T00:30:00Z",
            "2013-03-31T01:00:00Z",
            "2013-03-31T01:30:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_timezone_summer_time)",
    },
    Vector {
        expr: "0 0 * * *",
        tz: "Asia/Hebron",
        start: "2022-03-25T21:00:00Z",
        expected: &[
            "2022-03-25T22:00:00Z",
            "2022-03-26T22:00:00Z",
            "2022-03-27T21:00:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_dst_iter; start moved to 23:00 local the day before)",
    },
    Vector {
        expr: "1 2 * * *",
        tz: "Europe/Paris",
        start: "2020-03-28T12:00:00Z",
        expected: &["2020-03-29T01:00:00Z", "2020-03-30T00:01:00Z"],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_dst_issue90_st31ny; recomputed: croniter runs 02:01 at 03:01, the cronie rule \
            runs it at the jump, 03:00)",
    },
    Vector {
        expr: "0 0 * * Fri-Sun",
        tz: "UTC",
        start: "2024-01-01T00:00:00Z",
        expected: &[
            "2024-01-05T00:00:00Z",
            "2024-01-06T00:00:00Z",
            "2024-01-07T00:00:00Z",
            "2024-01-12T00:00:00Z",
            "2024-01-13T00:00:00Z",
            "2024-01-14T00:00:00Z",
            "2024-01-19T00:00:00Z",
            "2024-01-20T00:00:00Z",
            "2024-01-21T00:00:00Z",
            "2024-01-26T00:00:00Z",
            "2024-01-27T00:00:00Z",
            "2024-01-28T00:00:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_sunday_ranges_to)",
    },
    Vector {
        expr: "0 0 * * Sat-Sun",
        tz: "UTC",
        start: "2024-01-01T00:00:00Z",
        expected: &[
            "2024-01-06T00:00:00Z",
            "2024-01-07T00:00:00Z",
            "2024-01-13T00:00:00Z",
            "2024-01-14T00:00:00Z",
            "2024-01-20T00:00:00Z",
            "2024-01-21T00:00:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_sunday_ranges_to)",
    },
    Vector {
        expr: "0 0 * * Sun-Thu",
        tz: "UTC",
        start: "2024-01-01T00:00:00Z",
        expected: &[
            "2024-01-02T00:00:00Z",
            "2024-01-03T00:00:00Z",
            "2024-01-04T00:00:00Z",
            "2024-01-07T00:00:00Z",
            "2024-01-08T00:00:00Z",
            "2024-01-09T00:00:00Z",
            "2024-01-10T00:00:00Z",
            "2024-01-11T00:00:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_sunday_ranges_from)",
    },
    Vector {
        expr: "0 0 1 Jan-Aug/2 *",
        tz: "UTC",
        start: "2024-01-01T00:00:00Z",
        expected: &[
            "2024-03-01T00:00:00Z",
            "2024-05-01T00:00:00Z",
            "2024-07-01T00:00:00Z",
            "2025-01-01T00:00:00Z",
            "2025-03-01T00:00:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_mth_ranges_from)",
    },
    Vector {
        expr: "30 22 * * sun-thu",
        tz: "UTC",
        start: "2010-08-25T15:56:00Z",
        expected: &[
            "2010-08-25T22:30:00Z",
            "2010-08-26T22:30:00Z",
            "2010-08-29T22:30:00Z",
            "2010-08-30T22:30:00Z",
        ],
        ends: false,
        source: "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
            test_sunday_to_thursday_with_alpha_conversion; instants after the first added)",
    },
    // cron-parser (JavaScript). Same field order and day-of-week numbering as ours.
    Vector {
        expr: "6/23 * * * *",
        tz: "UTC",
        start: "2012-12-26T14:38:53Z",
        expected: &[
            "2012-12-26T14:52:00Z",
            "2012-12-26T15:06:00Z",
            "2012-12-26T15:29:00Z",
            "2012-12-26T15:52:00Z",
        ],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts take \
            multiple dates: step)",
    },
    Vector {
        expr: "*/20 * * * *",
        tz: "UTC",
        start: "2012-12-26T14:38:53Z",
        expected: &[
            "2012-12-26T14:40:00Z",
            "2012-12-26T15:00:00Z",
            "2012-12-26T15:20:00Z",
            "2012-12-26T15:40:00Z",
            "2012-12-26T16:00:00Z",
        ],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts limited \
            with start and end date)",
    },
    Vector {
        expr: "20-40/10 * * * * *",
        tz: "UTC",
        start: "2012-12-26T14:38:00Z",
        expected: &[
            "2012-12-26T14:38:20Z",
            "2012-12-26T14:38:30Z",
            "2012-12-26T14:38:40Z",
        ],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts using \
            non-standard second field (range))",
    },
    Vector {
        expr: "0 12 */5 6 *",
        tz: "UTC",
        start: "2019-06-01T11:00:00Z",
        expected: &[
            "2019-06-01T12:00:00Z",
            "2019-06-06T12:00:00Z",
            "2019-06-11T12:00:00Z",
            "2019-06-16T12:00:00Z",
            "2019-06-21T12:00:00Z",
            "2019-06-26T12:00:00Z",
            "2020-06-01T12:00:00Z",
        ],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts explicit \
            month and */5 day of month)",
    },
    Vector {
        expr: "0 15 */5 5 *",
        tz: "UTC",
        start: "2019-05-01T11:00:00Z",
        expected: &[
            "2019-05-01T15:00:00Z",
            "2019-05-06T15:00:00Z",
            "2019-05-11T15:00:00Z",
            "2019-05-16T15:00:00Z",
            "2019-05-21T15:00:00Z",
            "2019-05-26T15:00:00Z",
            "2019-05-31T15:00:00Z",
            "2020-05-01T15:00:00Z",
        ],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts explicit \
            month and */5 day of month)",
    },
    Vector {
        expr: "10 2 12 8 6-7",
        tz: "UTC",
        start: "2012-12-26T14:38:53Z",
        expected: &[
            "2013-08-03T02:10:00Z",
            "2013-08-04T02:10:00Z",
            "2013-08-10T02:10:00Z",
            "2013-08-11T02:10:00Z",
            "2013-08-12T02:10:00Z",
            "2013-08-17T02:10:00Z",
            "2013-08-18T02:10:00Z",
            "2013-08-24T02:10:00Z",
            "2013-08-25T02:10:00Z",
            "2013-08-31T02:10:00Z",
            "2014-08-02T02:10:00Z",
            "2014-08-03T02:10:00Z",
            "2014-08-09T02:10:00Z",
            "2014-08-10T02:10:00Z",
            "2014-08-12T02:10:00Z",
        ],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts day of \
            month and week are both set and dow is 6-7)",
    },
    Vector {
        expr: "10 2 ? * 3",
        tz: "UTC",
        start: "2023-04-29T00:00:00Z",
        expected: &[
            "2023-05-03T02:10:00Z",
            "2023-05-10T02:10:00Z",
            "2023-05-17T02:10:00Z",
            "2023-05-24T02:10:00Z",
            "2023-05-31T02:10:00Z",
            "2023-06-07T02:10:00Z",
            "2023-06-14T02:10:00Z",
            "2023-06-21T02:10:00Z",
            "2023-06-28T02:10:00Z",
            "2023-07-05T02:10:00Z",
        ],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts day of \
            month is unspecified)",
    },
    Vector {
        expr: "0 0 0 2-4,7-31 * *",
        tz: "UTC",
        start: "2012-12-01T14:38:53Z",
        expected: &[
            "2012-12-02T00:00:00Z",
            "2012-12-03T00:00:00Z",
            "2012-12-04T00:00:00Z",
            "2012-12-07T00:00:00Z",
            "2012-12-08T00:00:00Z",
        ],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts day of \
            month contains multiple ranges)",
    },
    Vector {
        expr: "0 12,13,10,1-3 * * *",
        tz: "UTC",
        start: "2012-12-26T14:38:53Z",
        expected: &[
            "2012-12-27T01:00:00Z",
            "2012-12-27T02:00:00Z",
            "2012-12-27T03:00:00Z",
            "2012-12-27T10:00:00Z",
            "2012-12-27T12:00:00Z",
            "2012-12-27T13:00:00Z",
        ],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts should \
            sort ranges and values in ascending order)",
    },
    Vector {
        expr: "30 16 * * 6,7",
        tz: "UTC",
        start: "2012-12-26T14:38:53Z",
        expected: &[
            "2012-12-29T16:30:00Z",
            "2012-12-30T16:30:00Z",
            "2013-01-05T16:30:00Z",
        ],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts dow 6,7 \
            6,0 0,6 7,6 should be equivalent)",
    },
    Vector {
        expr: "0 0 0 ? * 0#1",
        tz: "UTC",
        start: "2019-04-30T00:00:00Z",
        expected: &[
            "2019-05-05T00:00:00Z",
            "2019-06-02T00:00:00Z",
            "2019-07-07T00:00:00Z",
            "2019-08-04T00:00:00Z",
        ],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts \
            occurrence dayOfWeek (# char))",
    },
    Vector {
        expr: "0 0 0 ? * 0#5",
        tz: "UTC",
        start: "2019-04-30T00:00:00Z",
        expected: &[
            "2019-06-30T00:00:00Z",
            "2019-09-29T00:00:00Z",
            "2019-12-29T00:00:00Z",
            "2020-03-29T00:00:00Z",
        ],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts \
            occurrence dayOfWeek (# char))",
    },
    Vector {
        expr: "0 0 0 ? MAY 0#2",
        tz: "UTC",
        start: "2023-05-06T00:00:00Z",
        expected: &[
            "2023-05-14T00:00:00Z",
            "2024-05-12T00:00:00Z",
            "2025-05-11T00:00:00Z",
            "2026-05-10T00:00:00Z",
            "2027-05-09T00:00:00Z",
            "2028-05-14T00:00:00Z",
        ],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts second \
            sunday in May)",
    },
    Vector {
        expr: "0 0 0 16,18 * 3#3",
        tz: "UTC",
        start: "2019-04-01T00:00:00Z",
        expected: &[
            "2019-04-16T00:00:00Z",
            "2019-04-17T00:00:00Z",
            "2019-04-18T00:00:00Z",
            "2019-05-15T00:00:00Z",
            "2019-05-16T00:00:00Z",
            "2019-05-18T00:00:00Z",
        ],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts both \
            dayOfMonth and nth occurrence of dayOfWeek)",
    },
    Vector {
        expr: "0 12 1-31 * 1",
        tz: "UTC",
        start: "2022-10-30T14:00:00Z",
        expected: &[
            "2022-10-31T12:00:00Z",
            "2022-11-01T12:00:00Z",
            "2022-11-02T12:00:00Z",
            "2022-11-03T12:00:00Z",
            "2022-11-04T12:00:00Z",
            "2022-11-05T12:00:00Z",
            "2022-11-06T12:00:00Z",
            "2022-11-07T12:00:00Z",
        ],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts \
            correctly handle 0 12 1-31 * 1 (#284))",
    },
    Vector {
        expr: "15 10 * jAn-FeB mOn-tUE",
        tz: "UTC",
        start: "2012-12-26T14:38:53Z",
        expected: &[
            "2013-01-01T10:15:00Z",
            "2013-01-07T10:15:00Z",
            "2013-01-08T10:15:00Z",
            "2013-01-14T10:15:00Z",
            "2013-01-15T10:15:00Z",
            "2013-01-21T10:15:00Z",
            "2013-01-22T10:15:00Z",
            "2013-01-28T10:15:00Z",
        ],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts using \
            mixed days of week strings)",
    },
    Vector {
        expr: "0 * 27 * *",
        tz: "Europe/Athens",
        start: "2016-03-26T22:00:01Z",
        expected: &[
            "2016-03-26T23:00:00Z",
            "2016-03-27T00:00:00Z",
            "2016-03-27T01:00:00Z",
            "2016-03-27T02:00:00Z",
        ],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts It works \
            on DST start)",
    },
    Vector {
        expr: "0 3 * * *",
        tz: "Europe/Athens",
        start: "2016-03-27T00:00:01Z",
        expected: &["2016-03-27T01:00:00Z", "2016-03-28T00:00:00Z"],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts It works \
            on DST start)",
    },
    Vector {
        expr: "*/20 3 * * *",
        tz: "Europe/Athens",
        start: "2016-03-27T00:00:01Z",
        expected: &[
            "2016-03-28T00:00:00Z",
            "2016-03-28T00:20:00Z",
            "2016-03-28T00:40:00Z",
            "2016-03-29T00:00:00Z",
        ],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts It works \
            on DST start; recomputed: cron-parser runs 04:00, 04:20, 04:40 on the 27th, the \
            cronie rule skips a wildcard job's missing times)",
    },
    Vector {
        expr: "0 * * * *",
        tz: "Europe/Athens",
        start: "2016-10-29T23:00:01Z",
        expected: &[
            "2016-10-30T00:00:00Z",
            "2016-10-30T01:00:00Z",
            "2016-10-30T02:00:00Z",
        ],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts It works \
            on DST end 0 * * * *)",
    },
    Vector {
        expr: "0 3 * * *",
        tz: "Europe/Athens",
        start: "2016-10-29T23:00:01Z",
        expected: &["2016-10-30T00:00:00Z", "2016-10-31T01:00:00Z"],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts works on \
            DST end 0 3 * * *)",
    },
    Vector {
        expr: "*/20 3 * * *",
        tz: "Europe/Athens",
        start: "2016-10-29T23:00:01Z",
        expected: &[
            "2016-10-30T00:00:00Z",
            "2016-10-30T00:20:00Z",
            "2016-10-30T00:40:00Z",
            "2016-10-30T01:00:00Z",
            "2016-10-30T01:20:00Z",
            "2016-10-30T01:40:00Z",
            "2016-10-31T01:00:00Z",
        ],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts works on \
            DST end */20 3 * * *; recomputed: cron-parser runs the repeated hour once, the \
            cronie rule runs a wildcard job in both passes)",
    },
    Vector {
        expr: "0 0 0 * * 1L",
        tz: "UTC",
        start: "2021-09-01T00:00:00Z",
        expected: &[
            "2021-09-27T00:00:00Z",
            "2021-10-25T00:00:00Z",
            "2021-11-29T00:00:00Z",
        ],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts last \
            weekday of the month; instants after the first added)",
    },
    Vector {
        expr: "0 0 0 * * 7L",
        tz: "UTC",
        start: "2021-09-01T00:00:00Z",
        expected: &[
            "2021-09-26T00:00:00Z",
            "2021-10-31T00:00:00Z",
            "2021-11-28T00:00:00Z",
        ],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts last \
            weekday of the month; instants after the first added)",
    },
    Vector {
        expr: "0 0 0 * * 1L,5L",
        tz: "UTC",
        start: "2021-09-01T00:00:00Z",
        expected: &["2021-09-24T00:00:00Z", "2021-09-27T00:00:00Z"],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts both \
            last monday and friday of the month)",
    },
    Vector {
        expr: "0 0 0 * * 1,5L",
        tz: "UTC",
        start: "2021-09-01T00:00:00Z",
        expected: &[
            "2021-09-06T00:00:00Z",
            "2021-09-13T00:00:00Z",
            "2021-09-20T00:00:00Z",
            "2021-09-24T00:00:00Z",
            "2021-09-27T00:00:00Z",
        ],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts every \
            monday and last friday of month)",
    },
    Vector {
        expr: "0 0 L * *",
        tz: "UTC",
        start: "2014-01-01T00:00:00Z",
        expected: &[
            "2014-01-31T00:00:00Z",
            "2014-02-28T00:00:00Z",
            "2014-03-31T00:00:00Z",
            "2014-04-30T00:00:00Z",
            "2014-05-31T00:00:00Z",
            "2014-06-30T00:00:00Z",
            "2014-07-31T00:00:00Z",
            "2014-08-31T00:00:00Z",
            "2014-09-30T00:00:00Z",
            "2014-10-31T00:00:00Z",
        ],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts last day \
            in a month (wildcard month))",
    },
    Vector {
        expr: "0 0 L 2 *",
        tz: "UTC",
        start: "2014-01-01T00:00:00Z",
        expected: &[
            "2014-02-28T00:00:00Z",
            "2015-02-28T00:00:00Z",
            "2016-02-29T00:00:00Z",
        ],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts last day \
            in feb)",
    },
    Vector {
        expr: "0 0 1,3,6-8,L 2 *",
        tz: "UTC",
        start: "2014-01-01T00:00:00Z",
        expected: &[
            "2014-02-01T00:00:00Z",
            "2014-02-03T00:00:00Z",
            "2014-02-06T00:00:00Z",
            "2014-02-07T00:00:00Z",
            "2014-02-08T00:00:00Z",
            "2014-02-28T00:00:00Z",
        ],
        ends: false,
        source: "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts mix of \
            sequence and range and last day in feb)",
    },
    // croner (JavaScript). Its `SUN#L`-style last weekdays are written `0L` or `SunL` here.
    Vector {
        expr: "0 0 0 15W 7 *",
        tz: "UTC",
        start: "2025-07-01T00:00:00Z",
        expected: &["2025-07-15T00:00:00Z"],
        ends: false,
        source: "croner (Hexagon/croner test/pattern.test.ts W Modifier: 15W on a weekday)",
    },
    Vector {
        expr: "0 0 0 19W 7 *",
        tz: "UTC",
        start: "2025-07-01T00:00:00Z",
        expected: &["2025-07-18T00:00:00Z"],
        ends: false,
        source: "croner (Hexagon/croner test/pattern.test.ts W Modifier: 19W on a Saturday)",
    },
    Vector {
        expr: "0 0 0 20W 7 *",
        tz: "UTC",
        start: "2025-07-01T00:00:00Z",
        expected: &["2025-07-21T00:00:00Z"],
        ends: false,
        source: "croner (Hexagon/croner test/pattern.test.ts W Modifier: 20W on a Sunday)",
    },
    Vector {
        expr: "0 0 0 1W 6 *",
        tz: "UTC",
        start: "2025-05-01T00:00:00Z",
        expected: &["2025-06-02T00:00:00Z"],
        ends: false,
        source: "croner (Hexagon/croner test/pattern.test.ts W Modifier: 1W on a Sunday stays in \
            the month)",
    },
    Vector {
        expr: "0 0 0 31W 8 *",
        tz: "UTC",
        start: "2025-08-01T00:00:00Z",
        expected: &["2025-08-29T00:00:00Z"],
        ends: false,
        source: "croner (Hexagon/croner test/pattern.test.ts W Modifier: 31W on a Sunday stays in \
            the month)",
    },
    Vector {
        expr: "0 0 0 * 2 4L",
        tz: "UTC",
        start: "2023-12-29T23:16:48.380Z",
        expected: &["2024-02-29T00:00:00Z", "2025-02-27T00:00:00Z"],
        ends: false,
        source: "croner (Hexagon/croner test/pattern.test.ts THU#L; translated: croner `THU#L` is \
            `4L`; second instant added)",
    },
    Vector {
        expr: "0 0 0 * 2 FriL",
        tz: "UTC",
        start: "2023-12-29T23:16:48.380Z",
        expected: &["2024-02-23T00:00:00Z", "2025-02-28T00:00:00Z"],
        ends: false,
        source: "croner (Hexagon/croner test/pattern.test.ts FRI#L; translated: croner `FRI#L` is \
            `FriL`; second instant added)",
    },
    // croner (Rust). Its default mode ORs the day fields like Vixie cron; vectors from its
    // `dom_and_dow` (AND) mode are recomputed unless the first-character rule makes them agree.
    Vector {
        expr: "0 0 13W * WED",
        tz: "UTC",
        start: "2024-01-01T00:00:00Z",
        expected: &[
            "2024-01-03T00:00:00Z",
            "2024-01-10T00:00:00Z",
            "2024-01-12T00:00:00Z",
            "2024-01-17T00:00:00Z",
            "2024-01-24T00:00:00Z",
        ],
        ends: false,
        source: "croner-rust (Hexagon/croner-rust src/lib.rs test_cron_expression_13w_wed)",
    },
    Vector {
        expr: "59 59 23 2 * 6",
        tz: "UTC",
        start: "2022-01-31T00:00:00Z",
        expected: &[
            "2022-02-02T23:59:59Z",
            "2022-02-05T23:59:59Z",
            "2022-02-12T23:59:59Z",
            "2022-02-19T23:59:59Z",
            "2022-02-26T23:59:59Z",
            "2022-03-02T23:59:59Z",
        ],
        ends: false,
        source: "croner-rust (Hexagon/croner-rust src/lib.rs \
            test_weekday_pattern_combined_with_day_of_month)",
    },
    Vector {
        expr: "0 0 0 * * 5,6",
        tz: "UTC",
        start: "2022-02-17T00:00:00Z",
        expected: &[
            "2022-02-18T00:00:00Z",
            "2022-02-19T00:00:00Z",
            "2022-02-25T00:00:00Z",
            "2022-02-26T00:00:00Z",
            "2022-03-04T00:00:00Z",
            "2022-03-05T00:00:00Z",
        ],
        ends: false,
        source: "croner-rust (Hexagon/croner-rust src/lib.rs \
            test_weekday_pattern_correct_weekdays)",
    },
    Vector {
        expr: "15 9 * * mon",
        tz: "UTC",
        start: "2022-02-28T23:59:00Z",
        expected: &[
            "2022-03-07T09:15:00Z",
            "2022-03-14T09:15:00Z",
            "2022-03-21T09:15:00Z",
        ],
        ends: false,
        source: "croner-rust (Hexagon/croner-rust src/lib.rs test_weekday_pattern_alone)",
    },
    Vector {
        expr: "0 0 */31,1-7 */1 MON",
        tz: "UTC",
        start: "2023-12-24T00:00:00Z",
        expected: &[
            "2024-01-01T00:00:00Z",
            "2024-02-05T00:00:00Z",
            "2024-03-04T00:00:00Z",
        ],
        ends: false,
        source: "croner-rust (Hexagon/croner-rust src/lib.rs \
            test_unusual_cron_expression_end_month_start_month_mon_dom_and_dow; the dom_and_dow \
            answer, because day-of-month starts with `*`, so like Vixie cron the day fields are \
            ANDed)",
    },
    Vector {
        expr: "0 0 0 * * 7#2",
        tz: "UTC",
        start: "2024-10-01T00:00:00Z",
        expected: &[
            "2024-10-13T00:00:00Z",
            "2024-11-10T00:00:00Z",
            "2024-12-08T00:00:00Z",
            "2025-01-12T00:00:00Z",
            "2025-02-09T00:00:00Z",
        ],
        ends: false,
        source: "croner-rust (Hexagon/croner-rust src/lib.rs \
            test_cron_expression_second_sunday_using_seven)",
    },
    Vector {
        expr: "0 0 0 * * 7L",
        tz: "UTC",
        start: "2024-10-01T00:00:00Z",
        expected: &[
            "2024-10-27T00:00:00Z",
            "2024-11-24T00:00:00Z",
            "2024-12-29T00:00:00Z",
        ],
        ends: false,
        source: "croner-rust (Hexagon/croner-rust src/lib.rs \
            test_cron_expression_last_sunday_using_seven)",
    },
    Vector {
        expr: "0 0 LW * *",
        tz: "UTC",
        start: "2025-01-01T00:00:00Z",
        expected: &[
            "2025-01-31T00:00:00Z",
            "2025-02-28T00:00:00Z",
            "2025-03-31T00:00:00Z",
            "2025-04-30T00:00:00Z",
            "2025-05-30T00:00:00Z",
            "2025-06-30T00:00:00Z",
            "2025-07-31T00:00:00Z",
            "2025-08-29T00:00:00Z",
            "2025-09-30T00:00:00Z",
            "2025-10-31T00:00:00Z",
            "2025-11-28T00:00:00Z",
            "2025-12-31T00:00:00Z",
        ],
        ends: false,
        source: "croner-rust (Hexagon/croner-rust tests/ocps.rs test_lw_find_next_occurrences)",
    },
    Vector {
        expr: "7-59/29 2-23/13 * * *",
        tz: "UTC",
        start: "2023-01-01T00:00:00Z",
        expected: &[
            "2023-01-01T02:07:00Z",
            "2023-01-01T02:36:00Z",
            "2023-01-01T15:07:00Z",
            "2023-01-01T15:36:00Z",
            "2023-01-02T02:07:00Z",
        ],
        ends: false,
        source: "croner-rust (Hexagon/croner-rust src/lib.rs \
            test_cron_iterator_non_standard_intervals_with_offset; instants after the second \
            added)",
    },
    Vector {
        expr: "59 59 23 31 12 *",
        tz: "UTC",
        start: "2023-12-31T23:59:59Z",
        expected: &["2024-12-31T23:59:59Z"],
        ends: false,
        source: "croner-rust (Hexagon/croner-rust src/lib.rs test_time_overflow)",
    },
    Vector {
        expr: "0 0 29 2-3 FRI",
        tz: "UTC",
        start: "2024-01-01T00:00:00Z",
        expected: &[
            "2024-02-02T00:00:00Z",
            "2024-02-09T00:00:00Z",
            "2024-02-16T00:00:00Z",
            "2024-02-23T00:00:00Z",
            "2024-02-29T00:00:00Z",
            "2024-03-01T00:00:00Z",
            "2024-03-08T00:00:00Z",
        ],
        ends: false,
        source: "croner-rust (Hexagon/croner-rust src/lib.rs \
            test_cron_expression_29feb_march_fri; recomputed: croner ANDs (dom_and_dow), the \
            Vixie rule ORs)",
    },
    // Quartz (Java). Quartz numbers weekdays 1-7 from Sunday, so its numeric `5L` and `2#1` are
    // our `4L` and `1#1`; weekday names need no translation.
    Vector {
        expr: "0 15 10 L-2 * ? 2010",
        tz: "UTC",
        start: "2010-10-01T00:00:00Z",
        expected: &[
            "2010-10-29T10:15:00Z",
            "2010-11-28T10:15:00Z",
            "2010-12-29T10:15:00Z",
        ],
        ends: true,
        source: "Quartz (quartz-scheduler/quartz \
            quartz/src/test/java/org/quartz/CronExpressionTest.java testLastDayOffset; instants \
            other than Oct 29 added)",
    },
    Vector {
        expr: "0 15 10 L-1 * ? 2010",
        tz: "UTC",
        start: "2010-10-01T00:00:00Z",
        expected: &[
            "2010-10-30T10:15:00Z",
            "2010-11-29T10:15:00Z",
            "2010-12-30T10:15:00Z",
        ],
        ends: true,
        source: "Quartz (quartz-scheduler/quartz \
            quartz/src/test/java/org/quartz/CronExpressionTest.java testLastDayOffset; instants \
            other than Oct 30 added)",
    },
    Vector {
        expr: "0 0 0 L-2 * ? *",
        tz: "UTC",
        start: "2024-01-01T00:00:00Z",
        expected: &[
            "2024-01-29T00:00:00Z",
            "2024-02-27T00:00:00Z",
            "2024-03-29T00:00:00Z",
            "2024-04-28T00:00:00Z",
        ],
        ends: false,
        source: "Quartz (quartz-scheduler/quartz \
            quartz/src/test/java/org/quartz/CronExpressionTest.java testQtz259; fixed start \
            instead of now)",
    },
    Vector {
        expr: "0 0 0 LW * ? *",
        tz: "UTC",
        start: "2024-01-01T00:00:00Z",
        expected: &[
            "2024-01-31T00:00:00Z",
            "2024-02-29T00:00:00Z",
            "2024-03-29T00:00:00Z",
            "2024-04-30T00:00:00Z",
            "2024-05-31T00:00:00Z",
            "2024-06-28T00:00:00Z",
        ],
        ends: false,
        source: "Quartz (quartz-scheduler/quartz \
            quartz/src/test/java/org/quartz/CronExpressionTest.java testQtz259LW; fixed start \
            instead of now)",
    },
    Vector {
        expr: "0 43 9 ? * 4L",
        tz: "UTC",
        start: "2024-01-01T00:00:00Z",
        expected: &[
            "2024-01-25T09:43:00Z",
            "2024-02-29T09:43:00Z",
            "2024-03-28T09:43:00Z",
        ],
        ends: false,
        source: "Quartz (quartz-scheduler/quartz \
            quartz/src/test/java/org/quartz/CronExpressionTest.java testQuartz640; translated: \
            Quartz `5L` (days 1-7 from Sunday) is our `4L`, last Thursday)",
    },
    Vector {
        expr: "0 15 10 * * ? 2005",
        tz: "UTC",
        start: "2005-12-30T12:00:00Z",
        expected: &["2005-12-31T10:15:00Z"],
        ends: true,
        source: "Quartz (quartz-scheduler/quartz \
            quartz/src/test/java/org/quartz/CronExpressionTest.java testIsSatisfiedBy; no \
            instant after 2005)",
    },
    // Quartz.NET, the C# port of Quartz, which ORs the day fields when both are given.
    Vector {
        expr: "0 15 10 ? * 1#1 2010",
        tz: "UTC",
        start: "2009-12-31T00:00:00Z",
        expected: &[
            "2010-01-04T10:15:00Z",
            "2010-02-01T10:15:00Z",
            "2010-03-01T10:15:00Z",
        ],
        ends: false,
        source: "Quartz.NET (quartznet/quartznet src/Quartz.Tests.Unit/CronExpressionTest.cs \
            Ensure_NthWeek_Day_IsBetween1And7; translated: Quartz `2#1` is our `1#1`, first \
            Monday)",
    },
    Vector {
        expr: "0 15 10 ? * 5#1 2010",
        tz: "UTC",
        start: "2009-12-31T00:00:00Z",
        expected: &[
            "2010-01-01T10:15:00Z",
            "2010-02-05T10:15:00Z",
            "2010-03-05T10:15:00Z",
        ],
        ends: false,
        source: "Quartz.NET (quartznet/quartznet src/Quartz.Tests.Unit/CronExpressionTest.cs \
            Ensure_NthWeek_Day_IsBetween1And7; translated: Quartz `6#1` is our `5#1`, first \
            Friday)",
    },
    Vector {
        expr: "0 15 10 5/5 * MON 2010",
        tz: "UTC",
        start: "2010-10-01T00:00:00Z",
        expected: &[
            "2010-10-04T10:15:00Z",
            "2010-10-05T10:15:00Z",
            "2010-10-10T10:15:00Z",
            "2010-10-11T10:15:00Z",
            "2010-10-15T10:15:00Z",
            "2010-10-18T10:15:00Z",
            "2010-10-20T10:15:00Z",
            "2010-10-25T10:15:00Z",
            "2010-10-30T10:15:00Z",
            "2010-11-01T10:15:00Z",
        ],
        ends: false,
        source: "Quartz.NET (quartznet/quartznet src/Quartz.Tests.Unit/CronExpressionTest.cs \
            CanUse_DayOfMonth_And_DayOfWeek_Together)",
    },
    Vector {
        expr: "0 15 10 3 * MON,THU,FRI 2010",
        tz: "UTC",
        start: "2010-10-01T00:00:00Z",
        expected: &[
            "2010-10-01T10:15:00Z",
            "2010-10-03T10:15:00Z",
            "2010-10-04T10:15:00Z",
            "2010-10-07T10:15:00Z",
            "2010-10-08T10:15:00Z",
            "2010-10-11T10:15:00Z",
            "2010-10-14T10:15:00Z",
            "2010-10-15T10:15:00Z",
        ],
        ends: false,
        source: "Quartz.NET (quartznet/quartznet src/Quartz.Tests.Unit/CronExpressionTest.cs \
            CanUse_DayOfMonth_And_DayOfWeek_Together)",
    },
    Vector {
        expr: "0 0 0 29 * ?",
        tz: "UTC",
        start: "2009-01-30T00:00:00Z",
        expected: &["2009-03-29T00:00:00Z", "2009-04-29T00:00:00Z"],
        ends: false,
        source: "Quartz.NET (quartznet/quartznet src/Quartz.Tests.Unit/CronExpressionTest.cs \
            TestGetTimeAfter_QRTZNET149; second instant added)",
    },
    Vector {
        expr: "0 0 0 29 * ?",
        tz: "UTC",
        start: "2009-12-30T00:00:00Z",
        expected: &["2010-01-29T00:00:00Z", "2010-03-29T00:00:00Z"],
        ends: false,
        source: "Quartz.NET (quartznet/quartznet src/Quartz.Tests.Unit/CronExpressionTest.cs \
            TestGetTimeAfter_QRTZNET149; second instant added)",
    },
    Vector {
        expr: "0 5 13 5W 1-12 ?",
        tz: "UTC",
        start: "2009-03-08T00:00:00Z",
        expected: &["2009-04-06T13:05:00Z", "2009-05-05T13:05:00Z"],
        ends: false,
        source: "Quartz.NET (quartznet/quartznet src/Quartz.Tests.Unit/CronExpressionTest.cs \
            TestQRTZNET152_Nearest_Weekday_Expression_W)",
    },
    Vector {
        expr: "0 15 15 5 11 ?",
        tz: "America/New_York",
        start: "2012-11-04T00:00:00Z",
        expected: &["2012-11-05T20:15:00Z"],
        ends: false,
        source: "Quartz.NET (quartznet/quartznet src/Quartz.Tests.Unit/CronExpressionTest.cs \
            TestDaylightSavingsDoesNotMatchAnHourBefore)",
    },
    Vector {
        expr: "0 0 0 ? * THU",
        tz: "America/New_York",
        start: "2012-11-04T00:00:00Z",
        expected: &["2012-11-08T05:00:00Z"],
        ends: false,
        source: "Quartz.NET (quartznet/quartznet src/Quartz.Tests.Unit/CronExpressionTest.cs \
            TestDaylightSavingsDoesNotMatchAnHourBefore2)",
    },
    Vector {
        expr: "0 55 15 1 * ?",
        tz: "UTC",
        start: "2007-12-01T23:59:59Z",
        expected: &["2008-01-01T15:55:00Z"],
        ends: false,
        source: "Quartz.NET (quartznet/quartznet src/Quartz.Tests.Unit/CronExpressionTest.cs \
            TestCronExpressionPassingYear)",
    },
    Vector {
        expr: "0/5 * * * * ?",
        tz: "UTC",
        start: "2005-06-01T01:59:55Z",
        expected: &["2005-06-01T02:00:00Z", "2005-06-01T02:00:05Z"],
        ends: false,
        source: "Quartz.NET (quartznet/quartznet src/Quartz.Tests.Unit/CronExpressionTest.cs \
            TestHourShift; second instant added)",
    },
    Vector {
        expr: "* * 1 * * ?",
        tz: "UTC",
        start: "2005-07-31T22:59:57Z",
        expected: &["2005-08-01T01:00:00Z", "2005-08-01T01:00:01Z"],
        ends: false,
        source: "Quartz.NET (quartznet/quartznet src/Quartz.Tests.Unit/CronExpressionTest.cs \
            TestMonthShift; second instant added)",
    },
    Vector {
        expr: "0 15 23 * * ?",
        tz: "UTC",
        start: "2005-06-01T23:16:00Z",
        expected: &["2005-06-02T23:15:00Z"],
        ends: false,
        source: "Quartz.NET (quartznet/quartznet src/Quartz.Tests.Unit/CronExpressionTest.cs \
            TestCronExpressionPassingMidnight)",
    },
    Vector {
        expr: "0 30 10-13 ? * FRI#3",
        tz: "UTC",
        start: "2008-12-19T00:00:00Z",
        expected: &[
            "2008-12-19T10:30:00Z",
            "2008-12-19T11:30:00Z",
            "2008-12-19T12:30:00Z",
            "2008-12-19T13:30:00Z",
            "2009-01-16T10:30:00Z",
        ],
        ends: false,
        source: "Quartz.NET (quartznet/quartznet src/Quartz.Tests.Unit/CronExpressionTest.cs \
            TestNthWeekDayPassingMonth)",
    },
    // cronie and Vixie cron, whose crontab(5) defines the semantics we follow.
    Vector {
        expr: "30 4 1,15 * 5",
        tz: "UTC",
        start: "2024-01-01T00:00:00Z",
        expected: &[
            "2024-01-01T04:30:00Z",
            "2024-01-05T04:30:00Z",
            "2024-01-12T04:30:00Z",
            "2024-01-15T04:30:00Z",
            "2024-01-19T04:30:00Z",
            "2024-01-26T04:30:00Z",
            "2024-02-01T04:30:00Z",
            "2024-02-02T04:30:00Z",
        ],
        ends: false,
        source: "cronie crontab(5) (cronie-crond/cronie man/crontab.5 Note: 1st and 15th plus \
            every Friday)",
    },
    Vector {
        expr: "5 0 * * *",
        tz: "Asia/Tokyo",
        start: "2024-01-01T00:00:00Z",
        expected: &["2024-01-01T15:05:00Z", "2024-01-02T15:05:00Z"],
        ends: false,
        source: "cronie crontab(5) (cronie-crond/cronie man/crontab.5 example cron file, \
            CRON_TZ=Japan)",
    },
    Vector {
        expr: "15 14 1 * *",
        tz: "Asia/Tokyo",
        start: "2024-01-01T00:00:00Z",
        expected: &[
            "2024-01-01T05:15:00Z",
            "2024-02-01T05:15:00Z",
            "2024-03-01T05:15:00Z",
        ],
        ends: false,
        source: "cronie crontab(5) (cronie-crond/cronie man/crontab.5 example cron file, \
            CRON_TZ=Japan)",
    },
    Vector {
        expr: "0 22 * * 1-5",
        tz: "Asia/Tokyo",
        start: "2024-01-05T14:00:00Z",
        expected: &["2024-01-08T13:00:00Z", "2024-01-09T13:00:00Z"],
        ends: false,
        source: "cronie crontab(5) (cronie-crond/cronie man/crontab.5 example cron file, \
            CRON_TZ=Japan)",
    },
    Vector {
        expr: "23 0-23/2 * * *",
        tz: "UTC",
        start: "2024-01-01T00:00:00Z",
        expected: &[
            "2024-01-01T00:23:00Z",
            "2024-01-01T02:23:00Z",
            "2024-01-01T04:23:00Z",
            "2024-01-01T06:23:00Z",
            "2024-01-01T08:23:00Z",
            "2024-01-01T10:23:00Z",
            "2024-01-01T12:23:00Z",
            "2024-01-01T14:23:00Z",
            "2024-01-01T16:23:00Z",
            "2024-01-01T18:23:00Z",
            "2024-01-01T20:23:00Z",
            "2024-01-01T22:23:00Z",
            "2024-01-02T00:23:00Z",
        ],
        ends: false,
        source: "cronie crontab(5) (cronie-crond/cronie man/crontab.5 example cron file)",
    },
    Vector {
        expr: "5 4 * * sun",
        tz: "UTC",
        start: "2024-01-01T00:00:00Z",
        expected: &["2024-01-07T04:05:00Z", "2024-01-14T04:05:00Z"],
        ends: false,
        source: "cronie crontab(5) (cronie-crond/cronie man/crontab.5 example cron file)",
    },
    Vector {
        expr: "@yearly",
        tz: "UTC",
        start: "2024-06-15T00:00:00Z",
        expected: &["2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"],
        ends: false,
        source: "cronie crontab(5) (cronie-crond/cronie man/crontab.5 EXTENSIONS)",
    },
    Vector {
        expr: "@annually",
        tz: "UTC",
        start: "2024-01-01T00:00:00Z",
        expected: &["2025-01-01T00:00:00Z"],
        ends: false,
        source: "cronie crontab(5) (cronie-crond/cronie man/crontab.5 EXTENSIONS)",
    },
    Vector {
        expr: "@monthly",
        tz: "UTC",
        start: "2024-01-31T12:00:00Z",
        expected: &["2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"],
        ends: false,
        source: "cronie crontab(5) (cronie-crond/cronie man/crontab.5 EXTENSIONS)",
    },
    Vector {
        expr: "@weekly",
        tz: "UTC",
        start: "2024-01-01T00:00:00Z",
        expected: &["2024-01-07T00:00:00Z", "2024-01-14T00:00:00Z"],
        ends: false,
        source: "cronie crontab(5) (cronie-crond/cronie man/crontab.5 EXTENSIONS)",
    },
    Vector {
        expr: "@daily",
        tz: "UTC",
        start: "2024-02-28T00:00:00Z",
        expected: &["2024-02-29T00:00:00Z", "2024-03-01T00:00:00Z"],
        ends: false,
        source: "cronie crontab(5) (cronie-crond/cronie man/crontab.5 EXTENSIONS)",
    },
    Vector {
        expr: "@midnight",
        tz: "UTC",
        start: "2023-12-31T23:59:59Z",
        expected: &["2024-01-01T00:00:00Z"],
        ends: false,
        source: "Vixie cron (vixie/cron entry.c, @midnight)",
    },
    Vector {
        expr: "@hourly",
        tz: "UTC",
        start: "2024-01-01T00:00:00Z",
        expected: &["2024-01-01T01:00:00Z", "2024-01-01T02:00:00Z"],
        ends: false,
        source: "cronie crontab(5) (cronie-crond/cronie man/crontab.5 EXTENSIONS)",
    },
    Vector {
        expr: "1-3,7-9 * * * *",
        tz: "UTC",
        start: "2024-01-01T00:00:00Z",
        expected: &[
            "2024-01-01T00:01:00Z",
            "2024-01-01T00:02:00Z",
            "2024-01-01T00:03:00Z",
            "2024-01-01T00:07:00Z",
            "2024-01-01T00:08:00Z",
            "2024-01-01T00:09:00Z",
            "2024-01-01T01:01:00Z",
        ],
        ends: false,
        source: "Vixie cron crontab(5) (vixie/cron crontab.5 EXTENSIONS: lists and ranges \
            co-exist)",
    },
    Vector {
        expr: "0 1-9/2 * * *",
        tz: "UTC",
        start: "2024-01-01T00:00:00Z",
        expected: &[
            "2024-01-01T01:00:00Z",
            "2024-01-01T03:00:00Z",
            "2024-01-01T05:00:00Z",
            "2024-01-01T07:00:00Z",
            "2024-01-01T09:00:00Z",
            "2024-01-02T01:00:00Z",
        ],
        ends: false,
        source: "Vixie cron crontab(5) (vixie/cron crontab.5 EXTENSIONS: 1-9/2 is 1,3,5,7,9)",
    },
    // Cases our own specification singles out.
    Vector {
        expr: "0 0 31 2 0",
        tz: "UTC",
        start: "2026-01-01T00:00:00Z",
        expected: &[
            "2026-02-01T00:00:00Z",
            "2026-02-08T00:00:00Z",
            "2026-02-15T00:00:00Z",
            "2026-02-22T00:00:00Z",
            "2027-02-07T00:00:00Z",
        ],
        ends: false,
        source: "jobs DESIGN.md, Schedule semantics (Vixie OR rule: Feb 31 never matches, every \
            Sunday in February does)",
    },
    Vector {
        expr: "0 9 * January-June Monday-Friday",
        tz: "UTC",
        start: "2026-06-30T10:00:00Z",
        expected: &[
            "2027-01-01T09:00:00Z",
            "2027-01-04T09:00:00Z",
            "2027-01-05T09:00:00Z",
        ],
        ends: false,
        source: "jobs DESIGN.md, Schedule semantics (names in full: weekdays of January to June; \
            2026-06-30 is the last Tuesday of June, 2027-01-01 a Friday)",
    },
    Vector {
        expr: "0 0 * * SATURDAY-sunday",
        tz: "UTC",
        start: "2026-01-01T00:00:00Z",
        expected: &[
            "2026-01-03T00:00:00Z",
            "2026-01-04T00:00:00Z",
            "2026-01-10T00:00:00Z",
        ],
        ends: false,
        source: "jobs DESIGN.md, Schedule semantics (names in full, any case; a range may end on \
            Sunday)",
    },
    Vector {
        expr: "0 0 12 * * Monday#1",
        tz: "UTC",
        start: "2026-01-01T00:00:00Z",
        expected: &[
            "2026-01-05T12:00:00Z",
            "2026-02-02T12:00:00Z",
            "2026-03-02T12:00:00Z",
        ],
        ends: false,
        source: "jobs DESIGN.md, Schedule semantics (names in full: `Monday#1` is `Mon#1`, the \
            first Monday)",
    },
    Vector {
        expr: "0 0 12 * * FridayL",
        tz: "UTC",
        start: "2026-01-01T00:00:00Z",
        expected: &[
            "2026-01-30T12:00:00Z",
            "2026-02-27T12:00:00Z",
            "2026-03-27T12:00:00Z",
        ],
        ends: false,
        source: "jobs DESIGN.md, Schedule semantics (names in full: `FridayL` is `FriL`, the last \
            Friday)",
    },
    Vector {
        expr: "0 0 0 1 1 * 9999",
        tz: "UTC",
        start: "9998-06-01T00:00:00Z",
        expected: &["9999-01-01T00:00:00Z"],
        ends: true,
        source: "jobs DESIGN.md, Schedule semantics (no instants after year 9999)",
    },
    Vector {
        expr: "@yearly",
        tz: "UTC",
        start: "9999-06-01T00:00:00Z",
        expected: &[],
        ends: true,
        source: "jobs DESIGN.md, Schedule semantics (no instants after year 9999)",
    },
];

/// Expressions every implementation above rejects, and that our grammar rejects too: out-of-range
/// values, malformed fields, wrong field counts, and schedules that can never fire.
const REJECTED: &[(&str, &str)] = &[
    (
        "61 * * * *",
        "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts value out of the \
        range; five fields here)",
    ),
    (
        "* 60 * * * *",
        "croner-rust (Hexagon/croner-rust src/lib.rs test_cron_parse_invalid_expressions)",
    ),
    (
        "-90 * * * *",
        "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py test_error)",
    ),
    (
        "* * 12-36 * * *",
        "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts hour value out \
        of the range)",
    ),
    (
        "* * 5-100 * *",
        "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py test_error)",
    ),
    (
        "* * * 10-15,40 * *",
        "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts day of the month \
        value out of the range)",
    ),
    (
        "* * * * */10,12-13 *",
        "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts month value out \
        of the range)",
    ),
    (
        "* * * * * 9",
        "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts day of the week \
        value out of the range)",
    ),
    (
        "0 0 0 0 0",
        "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py test_issue_k6)",
    ),
    (
        "0 0 0 1 * * 1000",
        "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py test_invalid_year; \
        translated: seconds first)",
    ),
    (
        "0 0 0 1 * * 99999",
        "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py test_invalid_year; \
        translated: seconds first)",
    ),
    (
        "*/0 * * * *",
        "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
        test_invalid_zerorepeat)",
    ),
    (
        "0 */0 * * *",
        "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts repeat 0 times)",
    ),
    (
        "0 5/5/5 * * *",
        "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts multiple \
        combined repeat cycles)",
    ),
    (
        "0-10/ * * * *",
        "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py test_error)",
    ),
    (
        "a * * * *",
        "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py test_error)",
    ),
    (
        "10 ! 12 8 0",
        "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts invalid \
        characters test - symbol)",
    ),
    (
        "* * * janu-jun *",
        "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
        test_error_alpha_cron)",
    ),
    (
        "15 10 * * MON-TUR",
        "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts invalid days of \
        week strings)",
    ),
    (
        "0 0 0 ? * 1#0",
        "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts invalid \
        occurrence value)",
    ),
    (
        "0 0 0 ? * 4#6",
        "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts invalid \
        occurrence value)",
    ),
    (
        "0 15 10 ? * 8#1 2010",
        "Quartz.NET (quartznet/quartznet src/Quartz.Tests.Unit/CronExpressionTest.cs \
        Ensure_NthWeek_Day_IsBetween1And7)",
    ),
    (
        "0/5 * * 32W 1 ?",
        "Quartz (quartz-scheduler/quartz quartz/src/test/java/org/quartz/CronExpressionTest.java \
        testQtz96)",
    ),
    (
        "0 0 0 5L * *",
        "croner-rust (Hexagon/croner-rust src/lib.rs test_cron_parse_invalid_expressions; `5L` is \
        a day-of-week form)",
    ),
    (
        "",
        "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts empty expression \
        in strict mode)",
    ),
    (
        "* * *",
        "croner-rust (Hexagon/croner-rust src/lib.rs test_cron_parse_invalid_expressions)",
    ),
    (
        "* * * *",
        "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py test_error)",
    ),
    (
        "0 0 * * * * * *",
        "croner-rust (Hexagon/croner-rust src/lib.rs test_cron_parse_invalid_expressions)",
    ),
    (
        "0 9 * * Mond",
        "jobs DESIGN.md, Schedule semantics (names in three letters or in full, not other \
        prefixes)",
    ),
    (
        "0 0 1 Janu *",
        "jobs DESIGN.md, Schedule semantics (names in three letters or in full, not other \
        prefixes)",
    ),
    (
        "0 0 30 2 *",
        "jobs DESIGN.md, Schedule semantics (February never has a 30th)",
    ),
    (
        "0 0 31 4 *",
        "cron-parser (harrisiirak/cron-parser tests/CronExpressionParser.test.ts invalid explicit \
        day of month definition)",
    ),
    (
        "* * * 29 2 * 2021-2023",
        "croniter (pallets-eco/croniter src/croniter/tests/test_croniter.py \
        test_year_bad_date_error; translated: seconds first; no leap year in range)",
    ),
];

fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|error| panic!("the table has a bad instant {text:?}: {error}"))
        .with_timezone(&Utc)
}

fn list(instants: &[DateTime<Utc>]) -> String {
    let texts: Vec<String> = instants.iter().map(DateTime::to_rfc3339).collect();
    format!("[{}]", texts.join(", "))
}

/// Describes how the schedule disagrees with the vector, if it does.
fn mismatch(vector: &Vector) -> Option<String> {
    let tz: Tz = match vector.tz.parse() {
        Ok(tz) => tz,
        Err(error) => return Some(format!("the table names an unknown zone: {error}")),
    };
    let schedule = match Schedule::parse(vector.expr) {
        Ok(schedule) => schedule.with_timezone(tz),
        Err(error) => return Some(format!("rejected: {error}")),
    };
    let start = instant(vector.start);
    let expected: Vec<DateTime<Utc>> = vector.expected.iter().copied().map(instant).collect();
    // One more than expected, so a schedule that should end but goes on is caught.
    let wanted = expected.len() + usize::from(vector.ends);
    let actual: Vec<DateTime<Utc>> = schedule.after(start).take(wanted).collect();
    if actual != expected {
        return Some(format!(
            "expected {}, got {}",
            list(&expected),
            list(&actual)
        ));
    }
    let next = schedule.next_after(start);
    if next != expected.first().copied() {
        return Some(format!("`after` agrees but `next_after` gives {next:?}"));
    }
    None
}

#[test]
fn every_vector_produces_its_expected_instants() {
    // All vectors run before anything panics, so one run shows every disagreement.
    let failures: Vec<String> = VECTORS
        .iter()
        .filter_map(|vector| {
            mismatch(vector).map(|why| {
                format!(
                    "`{}` in {} after {}\n    source: {}\n    {why}",
                    vector.expr, vector.tz, vector.start, vector.source
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n\n{}",
        failures.len(),
        VECTORS.len(),
        failures.join("\n\n")
    );
}

#[test]
fn the_table_is_large_enough_to_mean_something() {
    assert!(VECTORS.len() >= 50, "only {} vectors", VECTORS.len());
    assert!(VECTORS.iter().all(|vector| !vector.source.is_empty()));
}

#[test]
fn invalid_and_never_firing_expressions_are_rejected() {
    let failures: Vec<String> = REJECTED
        .iter()
        .filter_map(|&(expr, source)| match Schedule::parse(expr) {
            Ok(schedule) => Some(format!("`{expr}` was accepted as `{schedule}` ({source})")),
            Err(error) => {
                // The message reaches users through compile errors, in rustc's style.
                let message = error.to_string();
                let styled = message.chars().next().is_some_and(|c| !c.is_uppercase())
                    && !message.ends_with('.');
                (!styled).then(|| {
                    format!("`{expr}` is rejected with a badly styled message {message:?}")
                })
            }
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} expressions misbehaved:\n{}",
        failures.len(),
        REJECTED.len(),
        failures.join("\n")
    );
}
