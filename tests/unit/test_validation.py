import pytest

from cop.errors import DomainError
from cop.validation import clean_title


def test_a_title_is_stored_with_its_whitespace_collapsed():
    assert clean_title("  Pairing \t on   tests\n", "thread", 200) == "Pairing on tests"
    assert clean_title("x" * 20, "resource", 20) == "x" * 20


@pytest.mark.parametrize(
    "title, message",
    [
        (None, "Give the meeting a title."),
        (" \n\t ", "Give the meeting a title."),
        ("x" * 21, "Keep the title under 20 characters."),
    ],
)
def test_an_empty_or_long_title_is_refused_on_its_field(title, message):
    with pytest.raises(DomainError) as refused:
        clean_title(title, "meeting", 20)
    assert refused.value.message == message and refused.value.field == "title"
