"""Districts the tests' stage lists beside Beijing's (tests/conftest.py sets
MASSES_DISTRICTS from them): tests/support/bulletins.py hands out one per bulletin, so a
listing by district sees only its own test's bulletins. Nothing imported here: the
conftest reads it before the stage's environment is set."""

TEST_DISTRICTS = tuple(f"test-district-{number:04d}" for number in range(2000))
