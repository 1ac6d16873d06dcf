//! The control plane: a JSON API and a web page over a [`Handle`](crate::Handle), served by
//! axum, standalone ([`Builder::dashboard`](crate::Builder::dashboard), `JOBS_DASHBOARD`) or
//! mounted in the application's own router ([`router`]).
//!
//! Reads are open to whoever reaches the address; actions (trigger, pause, resume, reschedule,
//! retry, cancel) need `Authorization: Bearer <token>`, the token given by
//! [`Builder::dashboard_token`](crate::Builder::dashboard_token) or `JOBS_DASHBOARD_TOKEN`.
//! There are no cookies, so a page elsewhere cannot act through a visitor's browser.

#[cfg(feature = "dashboard")]
mod api;
#[cfg(feature = "dashboard")]
mod auth;
#[cfg(feature = "dashboard")]
mod explain;
#[cfg(feature = "dashboard")]
mod views;

#[cfg(feature = "dashboard")]
pub use api::router;

use crate::Error;
use std::net::SocketAddr;
use std::sync::Arc;

/// Where the standalone dashboard listens.
const ADDRESS: &str = "JOBS_DASHBOARD";
/// The bearer token its actions need.
const TOKEN: &str = "JOBS_DASHBOARD_TOKEN";

/// The dashboard as configured: the builder's settings, else the environment's.
#[derive(Clone, Debug, Default)]
pub(crate) struct Settings {
    /// Where the standalone dashboard listens; `None`: not served (it may still be mounted).
    #[cfg_attr(
        not(feature = "dashboard"),
        allow(dead_code, reason = "without the feature, an address is refused")
    )]
    pub(crate) address: Option<SocketAddr>,
    pub(crate) token: Option<Arc<str>>,
}

impl Settings {
    /// Checks the configuration at build time, so that a bad address or an exposed dashboard
    /// without a token stops the program before it runs anything.
    pub(crate) fn choose(
        address: Option<SocketAddr>,
        token: Option<String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, Error> {
        let refuse = |reason: String| Err(Error::Dashboard { reason });
        let address = match (address, env(ADDRESS)) {
            (Some(address), _) => Some(address),
            (None, None) => None,
            // A port alone listens on loopback.
            (None, Some(text)) => match (text.trim().parse(), text.trim().parse::<u16>()) {
                (Ok(address), _) => Some(address),
                (_, Ok(port)) => Some(SocketAddr::from(([127, 0, 0, 1], port))),
                _ => {
                    return refuse(format!(
                        "{ADDRESS}=`{text}` is not an address such as `127.0.0.1:7878` (or a port alone, on loopback)"
                    ))
                }
            },
        };
        let (token, from) = match token {
            Some(token) => (Some(token), "`Builder::dashboard_token`"),
            None => (env(TOKEN), TOKEN),
        };
        if token
            .as_deref()
            .is_some_and(|token| token.trim().is_empty())
        {
            return refuse(format!(
                "the token from {from} is empty: give a long random string, or none to refuse every action"
            ));
        }
        if cfg!(not(feature = "dashboard")) && address.is_some() {
            return refuse(format!(
                "{ADDRESS} asks for a dashboard, but this build of jobs-runtime has none: enable its `dashboard` feature"
            ));
        }
        if let Some(address) = address.filter(|address| !address.ip().is_loopback()) {
            if token.is_none() {
                return refuse(format!(
                    "it would listen on {address}, beyond this machine, with no token for its actions: set {TOKEN} (or `Builder::dashboard_token`), or listen on 127.0.0.1"
                ));
            }
        }
        Ok(Self {
            address,
            token: token.map(Into::into),
        })
    }
}

/// Serves the standalone dashboard, when one is configured, until the runtime has stopped; a
/// dashboard that cannot listen stops the runtime it was started with.
#[cfg(feature = "dashboard")]
pub(crate) async fn start(handle: &crate::Handle, settings: &Settings) -> Result<(), Error> {
    if let Some(address) = settings.address {
        if let Err(error) = serve(handle.clone(), address).await {
            handle.shutdown().await;
            return Err(error);
        }
    }
    Ok(())
}

#[cfg(feature = "dashboard")]
async fn serve(handle: crate::Handle, address: SocketAddr) -> Result<(), Error> {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|error| Error::Dashboard {
            reason: format!("cannot listen on {address}: {error}"),
        })?;
    let address = listener.local_addr().unwrap_or(address);
    tracing::info!(%address, "dashboard on http://{address}/");
    let stopped = handle.clone();
    tokio::spawn(async move {
        let server = axum::serve(listener, router(handle))
            .with_graceful_shutdown(async move { stopped.stopped().await });
        if let Err(error) = server.await {
            tracing::error!(%error, "the dashboard stopped serving");
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&str, &str)]) -> impl Fn(&str) -> Option<String> + 'a {
        |name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    fn refused(result: Result<Settings, Error>) -> String {
        match result {
            Err(Error::Dashboard { reason }) => reason,
            other => panic!("expected a dashboard error, got {other:?}"),
        }
    }

    #[test]
    fn nothing_configured_serves_nothing() {
        let settings = Settings::choose(None, None, env(&[])).unwrap();
        assert!(settings.address.is_none() && settings.token.is_none());
    }

    #[test]
    fn the_builder_wins_over_the_environment() {
        let settings = Settings::choose(
            Some("127.0.0.1:9000".parse().unwrap()),
            Some("builder".into()),
            env(&[(ADDRESS, "127.0.0.1:7878"), (TOKEN, "env")]),
        );
        if cfg!(feature = "dashboard") {
            let settings = settings.unwrap();
            assert_eq!(settings.address, Some("127.0.0.1:9000".parse().unwrap()));
            assert_eq!(settings.token.as_deref(), Some("builder"));
        } else {
            assert!(refused(settings).contains("enable its `dashboard` feature"));
        }
    }

    #[test]
    fn a_bad_address_is_refused_with_the_expected_form() {
        let reason = refused(Settings::choose(None, None, env(&[(ADDRESS, "localhost")])));
        assert_eq!(
            reason,
            "JOBS_DASHBOARD=`localhost` is not an address such as `127.0.0.1:7878` (or a port alone, on loopback)"
        );
    }

    #[test]
    fn a_port_alone_listens_on_loopback() {
        let settings = Settings::choose(None, None, env(&[(ADDRESS, "7878")]));
        if cfg!(feature = "dashboard") {
            assert_eq!(
                settings.unwrap().address,
                Some("127.0.0.1:7878".parse().unwrap())
            );
        }
    }

    #[test]
    fn beyond_loopback_a_token_is_required() {
        let reason = refused(Settings::choose(
            None,
            None,
            env(&[(ADDRESS, "0.0.0.0:7878")]),
        ));
        if cfg!(feature = "dashboard") {
            assert!(
                reason.starts_with("it would listen on 0.0.0.0:7878, beyond this machine"),
                "{reason}"
            );
            let settings =
                Settings::choose(None, None, env(&[(ADDRESS, "0.0.0.0:7878"), (TOKEN, "s3")]));
            assert_eq!(settings.unwrap().token.as_deref(), Some("s3"));
        }
    }

    #[test]
    fn an_empty_token_is_refused() {
        let reason = refused(Settings::choose(None, Some(" ".into()), env(&[])));
        assert!(reason.starts_with("the token from `Builder::dashboard_token` is empty"));
    }
}
