use super::*;

#[test]
fn tokens_are_unique_and_hashes_are_stable() {
    let a = generate_token();
    let b = generate_token();
    assert_ne!(a, b);
    assert!(a.starts_with(TOKEN_PREFIX));
    assert_eq!(a.len(), TOKEN_PREFIX.len() + 64);
    assert_eq!(hash_token(&a), hash_token(&a));
    assert_ne!(hash_token(&a), hash_token(&b));
    // FIPS 180-2 test vector.
    assert_eq!(
        hash_token("abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}
