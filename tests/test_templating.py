"""The escaping filters: values reach PowerShell only as inert literals."""

from __future__ import annotations

import json

import pytest
import yaml

from wsl_portproxy.templating import (
    human_duration,
    json_str,
    one_line,
    ps_bool,
    ps_comment,
    ps_int,
    ps_list,
    ps_str,
    task_duration,
    yaml_comment,
    yaml_str,
)


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("plain", "'plain'"),
        ("O'Brien", "'O''Brien'"),
        ("$(Remove-Item C:\\)", "'$(Remove-Item C:\\)'"),
        ("a\u2019b\u2018c", "'a\u2019\u2019b\u2018\u2018c'"),
        ("`n\"", "'`n\"'"),
    ],
)
def test_ps_str_makes_single_quoted_literals(value: str, literal: str) -> None:
    assert ps_str(value) == literal


def test_ps_str_refuses_non_text_and_nul() -> None:
    with pytest.raises(TypeError):
        ps_str(5)
    with pytest.raises(ValueError, match="NUL"):
        ps_str("a\x00b")


def test_numbers_booleans_and_lists() -> None:
    assert ps_int(80) == "80"
    with pytest.raises(TypeError):
        ps_int(True)
    with pytest.raises(TypeError):
        ps_int("80")
    assert ps_bool(True) == "$true"
    with pytest.raises(TypeError):
        ps_bool(1)
    assert ps_list(["Domain", "Pri'vate"]) == "@('Domain', 'Pri''vate')"
    assert ps_list([]) == "@()"


def test_one_line_and_ps_comment_keep_text_on_one_line() -> None:
    assert one_line("a\r\nb\u2028c #> d") == "a  b c #> d"
    assert ps_comment("a\r\nb\u2028c #> d") == "a  b c # > d"


@pytest.mark.parametrize(("seconds", "text"),
                         [(0, "PT0S"), (30, "PT30S"), (300, "PT5M"), (3660, "PT1H1M"),
                          (5430, "PT1H30M30S")])
def test_task_duration(seconds: int, text: str) -> None:
    assert task_duration(seconds) == text


@pytest.mark.parametrize(("seconds", "text"),
                         [(0, "0 seconds"), (1, "1 second"), (300, "5 minutes"),
                          (5430, "1 hour 30 minutes 30 seconds")])
def test_human_duration(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


@pytest.mark.parametrize("value", ["NO", "on", "%ProgramData%\\Wsl Proxy (x)", "O'Brien", "#x: y"])
def test_yaml_str_gives_back_the_text_as_yaml_reads_it(value: str) -> None:
    assert yaml.safe_load(f"key: {yaml_str(value)}\n") == {"key": value}
    assert yaml.safe_load(f"{yaml_str(value)}: 1\n") == {value: 1}


@pytest.mark.parametrize("value", ["a\nb", "a\tb", "a\u2028b", "\x85"])
def test_yaml_str_refuses_a_line_break_or_control_character(value: str) -> None:
    with pytest.raises(ValueError, match="cannot appear in a YAML scalar"):
        yaml_str(value)


def test_yaml_str_refuses_what_is_not_text_and_yaml_comment_keeps_one_line() -> None:
    with pytest.raises(TypeError):
        yaml_str(80)
    assert yaml_comment("a\r\nb") == "a  b"


@pytest.mark.parametrize("value", ["WEB-01", "%ProgramData%\\Wsl Proxy (x)", "a\"b\\c", "line\r\nbreak",
                                   "flöt \u2019x\u2028", "/Date(0)/", "\x00"])
def test_json_str_gives_back_the_text_as_json_reads_it_in_ascii(value: str) -> None:
    text = json_str(value)
    assert text.isascii() and "\\/" not in text   # "\/Date(...)\/" would be a date to 5.1
    assert json.loads(f'{{"key": {text}}}') == {"key": value}


def test_json_str_refuses_what_is_not_text() -> None:
    with pytest.raises(TypeError, match="json_str expects text"):
        json_str(80)
