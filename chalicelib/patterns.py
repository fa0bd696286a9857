r"""Patterns for msgspec's `Meta(pattern=…)` that mean the same in Python and in
ECMA-262: the OpenAPI document hands them to clients' validators, JavaScript's among
them, which know no `\Z`, `\A` or `(?P<name>…)`.

msgspec tests a pattern with re.search, so a rule on the whole string needs anchors, and
Python's `$` also matches just before a trailing newline ("abc\n" would pass `^abc$`).
`(?!\n)` before it refuses that case; in ECMA-262, where `$` is the end already, it is a
no-op.
"""


def whole(pattern: str) -> str:
    """A pattern the whole string must match, in Python and in ECMA-262 alike."""
    return rf"^(?:{pattern})(?!\n)$"
