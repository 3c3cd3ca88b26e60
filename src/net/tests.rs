use std::net::IpAddr;

use reqwest::Url;

use super::{is_public, AddressPolicy};

fn ip(text: &str) -> IpAddr {
    text.parse().expect("an address")
}

#[test]
fn public_addresses_are_told_from_the_rest() {
    for public in [
        "8.8.8.8",
        "1.1.1.1",
        "2606:4700:4700::1111",
        "::ffff:8.8.8.8",
    ] {
        assert!(is_public(ip(public)), "{public}");
    }
    let not_public = [
        "127.0.0.1",
        "10.1.2.3",
        "172.20.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fd00::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe",
        "2002:7f00:1::",
    ];
    for private in not_public {
        assert!(!is_public(ip(private)), "{private}");
    }
}

#[test]
fn a_url_must_be_http_and_its_literal_address_allowed() {
    let guarded = AddressPolicy::default();
    let check = |url: &str| guarded.check_url(&Url::parse(url).unwrap());
    assert!(check("https://example.com/a.png").is_ok());
    assert!(check("http://93.184.216.34/a.png").is_ok());
    for refused in [
        "ftp://example.com/a",
        "file:///etc/passwd",
        "http://127.0.0.1:7000/a",
        "http://[::1]/a",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:10.0.0.1]/",
    ] {
        assert!(check(refused).is_err(), "{refused}");
    }
    let open = AddressPolicy {
        allow_private: true,
        ..Default::default()
    };
    assert!(open
        .check_url(&Url::parse("http://127.0.0.1/").unwrap())
        .is_ok());
}

#[test]
fn allowed_networks_open_only_themselves() {
    let policy = AddressPolicy {
        allow_private: false,
        allowed: vec!["127.0.0.2/32".parse().unwrap()].into(),
    };
    let check = |url: &str| policy.check_url(&Url::parse(url).unwrap());
    assert!(check("http://127.0.0.2:9000/").is_ok());
    assert!(check("http://127.0.0.1:9000/").is_err());
}

#[tokio::test]
async fn a_name_is_judged_by_every_address_it_resolves_to() {
    let guarded = AddressPolicy::default();
    let local = Url::parse("http://localhost:8080/hook").unwrap();
    let why = guarded.check_host(&local).await.expect_err("refused");
    assert!(why.0.contains("localhost resolves to"), "{why}");
}
