use super::*;
use Level::*;

#[test]
fn matrix_matches_the_product_table_for_all_nine_cells() {
    let table = [
        (High, High, Priority::Critical),
        (High, Medium, Priority::High),
        (Medium, High, Priority::High),
        (Medium, Medium, Priority::Medium),
        (High, Low, Priority::Medium),
        (Low, High, Priority::Medium),
        (Medium, Low, Priority::Low),
        (Low, Medium, Priority::Low),
        (Low, Low, Priority::Low),
    ];
    for (i, u, p) in table {
        assert_eq!(matrix(i, u), p, "{i} x {u}");
    }
}

#[test]
fn matrix_is_symmetric_and_monotone() {
    let rank = |p: Priority| match p {
        Priority::Critical => 3,
        Priority::High => 2,
        Priority::Medium => 1,
        Priority::Low => 0,
    };
    let lvl = |l: Level| match l {
        High => 2,
        Medium => 1,
        Low => 0,
    };
    for &i in Level::ALL {
        for &u in Level::ALL {
            assert_eq!(matrix(i, u), matrix(u, i));
            for &i2 in Level::ALL {
                if lvl(i2) >= lvl(i) {
                    assert!(rank(matrix(i2, u)) >= rank(matrix(i, u)));
                }
            }
        }
    }
}
