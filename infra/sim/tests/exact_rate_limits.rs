//! Exact's quotas in the simulator: 60 calls per clock-aligned minute and a daily quota per
//! (app, division), six headers with epoch-millisecond resets, bare 429s carrying only the
//! exhausted window's headers, windows that follow the (possibly accelerated) clock.

mod exact_support;

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use exact_support::{Env, start_limited, start_with};
use koppel_core::{Clock, ScaledClock};
use koppel_sim::exact::{ClientApp, DEFAULT_NL_DIVISION, RateLimits, SimOptions};
use reqwest::header::HeaderMap;

const MINUTELY: [&str; 3] = [
    "x-ratelimit-minutely-limit",
    "x-ratelimit-minutely-remaining",
    "x-ratelimit-minutely-reset",
];
const DAILY: [&str; 3] = [
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
];

fn header(headers: &HeaderMap, name: &str) -> Option<i64> {
    headers
        .get(name)
        .map(|v| v.to_str().unwrap().parse().unwrap())
}

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

async fn call(env: &Env) -> reqwest::Response {
    env.get("financial/Journals?$top=1").await
}

#[tokio::test]
async fn sixty_a_minute_then_a_bare_429_with_only_minutely_headers() {
    let env = start_limited(RateLimits {
        per_minute: 60,
        per_day: 5_000,
    })
    .await;
    env.sim.clock().set_now(at(2026, 3, 16, 9, 30, 0));
    let minute_reset = at(2026, 3, 16, 9, 31, 0).timestamp_millis();
    let day_reset = at(2026, 3, 17, 0, 0, 0).timestamp_millis();
    for i in 1..=60 {
        let response = call(&env).await;
        assert_eq!(response.status(), 200, "call {i}");
        let h = response.headers();
        for name in MINUTELY.iter().chain(DAILY.iter()) {
            assert!(h.contains_key(*name), "call {i} lacks {name}");
        }
        assert_eq!(header(h, "x-ratelimit-minutely-limit"), Some(60));
        assert_eq!(header(h, "x-ratelimit-minutely-remaining"), Some(60 - i));
        assert_eq!(
            header(h, "x-ratelimit-minutely-reset"),
            Some(minute_reset),
            "epoch ms of the next minute"
        );
        assert_eq!(header(h, "x-ratelimit-limit"), Some(5_000));
        assert_eq!(header(h, "x-ratelimit-remaining"), Some(5_000 - i));
        assert_eq!(
            header(h, "x-ratelimit-reset"),
            Some(day_reset),
            "epoch ms of next 00:00 UTC"
        );
    }
    let refused = call(&env).await;
    assert_eq!(refused.status(), 429);
    let h = refused.headers().clone();
    assert_eq!(header(&h, "x-ratelimit-minutely-remaining"), Some(0));
    assert_eq!(header(&h, "x-ratelimit-minutely-reset"), Some(minute_reset));
    for name in DAILY {
        assert!(!h.contains_key(name), "a minutely 429 carries no {name}");
    }
    assert!(
        refused.bytes().await.unwrap().is_empty(),
        "429 bodies are empty"
    );
    assert_eq!(env.sim.stats().rate_limited, 1);
    assert_eq!(
        env.sim
            .calls_today(koppel_sim::exact::DEFAULT_CLIENT_ID, env.division),
        60,
        "refusals are not counted"
    );

    env.sim.clock().set_now(at(2026, 3, 16, 9, 31, 0));
    let next_minute = call(&env).await;
    assert_eq!(next_minute.status(), 200);
    assert_eq!(
        header(next_minute.headers(), "x-ratelimit-minutely-remaining"),
        Some(59)
    );
    assert_eq!(
        header(next_minute.headers(), "x-ratelimit-remaining"),
        Some(4_939)
    );
}

#[tokio::test]
async fn the_daily_quota_refuses_with_daily_headers_until_midnight_utc() {
    let env = start_limited(RateLimits {
        per_minute: 100,
        per_day: 5,
    })
    .await;
    env.sim.clock().set_now(at(2026, 3, 16, 23, 58, 0));
    for _ in 0..5 {
        assert_eq!(call(&env).await.status(), 200);
    }
    let refused = call(&env).await;
    assert_eq!(refused.status(), 429);
    let h = refused.headers();
    assert_eq!(header(h, "x-ratelimit-limit"), Some(5));
    assert_eq!(header(h, "x-ratelimit-remaining"), Some(0));
    assert_eq!(
        header(h, "x-ratelimit-reset"),
        Some(at(2026, 3, 17, 0, 0, 0).timestamp_millis())
    );
    for name in MINUTELY {
        assert!(!h.contains_key(name), "a daily 429 carries no {name}");
    }

    // Another division has its own quota; so has another app.
    let nl = env
        .get_url(&format!(
            "{}/financial/Journals",
            env.sim.api_url(DEFAULT_NL_DIVISION)
        ))
        .await;
    assert_eq!(nl.status(), 200);
    env.sim.add_client(ClientApp {
        client_id: "other-app".into(),
        client_secret: "s".into(),
    });
    let other = env.sim.issue_tokens("other-app", None).unwrap();
    let response = env
        .http
        .get(env.url("financial/Journals"))
        .bearer_auth(&other.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    env.sim.clock().set_now(at(2026, 3, 17, 0, 0, 1));
    let tomorrow = call(&env).await;
    assert_eq!(tomorrow.status(), 200);
    assert_eq!(header(tomorrow.headers(), "x-ratelimit-remaining"), Some(4));
}

#[tokio::test]
async fn minute_windows_follow_an_accelerated_clock() {
    // One real second is a simulated minute.
    let origin = at(2026, 3, 16, 10, 0, 0);
    let clock = Arc::new(ScaledClock::new(origin, 60.0));
    let env = start_with(
        SimOptions::default()
            .with_clock(clock)
            .with_rate_limits(Some(RateLimits {
                per_minute: 3,
                per_day: 1_000,
            })),
    )
    .await;
    let mut last_reset = 0;
    let mut refused = false;
    // Twenty tries: even if a simulated minute ends meanwhile, the next one runs out too.
    for _ in 0..20 {
        let response = call(&env).await;
        if response.status() == 429 {
            refused = true;
            last_reset = header(response.headers(), "x-ratelimit-minutely-reset").unwrap();
            break;
        }
    }
    assert!(refused, "three calls a minute must run out");
    let wait_sim_ms = last_reset - env.sim.clock().now().timestamp_millis();
    assert!(
        (0..=60_000).contains(&wait_sim_ms),
        "reset within the simulated minute: {wait_sim_ms}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(
        (wait_sim_ms as u64) / 60 + 100,
    ))
    .await;
    assert_eq!(
        call(&env).await.status(),
        200,
        "a new simulated minute has begun"
    );
}

#[tokio::test]
async fn without_limits_there_are_no_headers() {
    let env = start_with(SimOptions::default().with_rate_limits(None)).await;
    let response = call(&env).await;
    assert_eq!(response.status(), 200);
    assert!(!response.headers().contains_key("x-ratelimit-limit"));
    env.sim.set_rate_limits(Some(RateLimits::default()));
    let response = call(&env).await;
    assert_eq!(
        header(response.headers(), "x-ratelimit-minutely-limit"),
        Some(60)
    );
    assert_eq!(header(response.headers(), "x-ratelimit-limit"), Some(5_000));
}
