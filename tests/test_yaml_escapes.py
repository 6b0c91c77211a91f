"""Backslashes in double-quoted YAML values: every one named with line, column and what YAML made
of it, with the single-quoted fix; an unknown escape is an error anywhere, any other escape but
``\\\\`` is one in a Windows path or account, ``\\\\`` alone there is what was meant."""

from __future__ import annotations

import time

import pytest
import yaml

from wsl_portproxy import escapes
from wsl_portproxy.api import load_inventory
from wsl_portproxy.cli import main

from .helpers import Write
from .test_inventory_errors import errors_of

FIX = "(in single quotes every backslash stays as typed)"
UNKNOWN = "is double-quoted, so YAML reads its backslashes as escapes and cannot read them all:"
KNOWN = "is double-quoted, so YAML read its backslashes as escapes:"


def run_as(value: str, key: str = "run_as") -> str:
    return f"servers:\n  - name: WEB-01\n    {key}: {value}\n    ports: [80]\n"


@pytest.mark.parametrize(("typed", "described"), [
    ("\\s", "\\s (line 3, column 18) is not an escape"),
    ("\\q", "\\q (line 3, column 18) is not an escape"),
    ("\\xzz", "\\x (line 3, column 18) is not an escape"),
    ("\\u12", "\\u (line 3, column 18) is not an escape"),
    ("\\uD800", "\\uD800 (line 3, column 18) is not an escape"),
    ("\\U00110000", "\\U00110000 (line 3, column 18) is not an escape"),
])
def test_an_unknown_escape_names_its_line_column_and_characters(
        write_inventory: Write, typed: str, described: str) -> None:
    value = f'"CORP{typed}vc"'
    assert errors_of(write_inventory(run_as(value))) == [
        f"servers[0].run_as (line 3): {value} {UNKNOWN} {described}; write 'CORP{typed}vc' {FIX}"]


@pytest.mark.parametrize(("typed", "read"), [
    ("\\a", "'<U+0007>'"), ("\\n", "'<newline>'"), ("\\t", "'<tab>'"), ("\\x41", "'A'"),
    ("\\u00e9", "'\u00e9'"), ("\\U0001F600", "'\U0001F600'"), ("\\0", "'<U+0000>'"),
    ("\\/", "'/'"), ("\\ ", "' '"),
])
def test_a_known_escape_in_an_account_names_what_yaml_read(write_inventory: Write, typed: str,
                                                           read: str) -> None:
    value = f'"CORP{typed}dmin"'
    assert errors_of(write_inventory(run_as(value))) == [
        f"servers[0].run_as (line 3): {value} {KNOWN} {typed} (line 3, column 18) is read as "
        f"{read}; write 'CORP{typed}dmin' {FIX}"]


def test_every_backslash_of_a_value_is_named_and_the_fix_keeps_what_was_meant(
        write_inventory: Write) -> None:
    value = '"C:\\\\Tools\\new\\x41\\xzz\\"it\'s\\""'
    assert errors_of(write_inventory(run_as(value, "install_dir"))) == [
        f"servers[0].install_dir (line 3): {value} {UNKNOWN} \\\\ (line 3, column 21) is read as "
        "'\\', \\n (line 3, column 28) is read as '<newline>', \\x41 (line 3, column 32) is read "
        "as 'A', \\x (line 3, column 36) is not an escape, \\\" (line 3, column 40) is read as "
        "'\"', \\\" (line 3, column 46) is read as '\"'; write "
        f"'C:\\Tools\\new\\x41\\xzz\"it''s\"' {FIX}"]


def test_columns_count_characters_and_lines_count_from_1_also_in_a_multi_line_value(
        write_inventory: Write) -> None:
    text = 'defaults:\r\n  distro: "caf\u00e9 \\s"\r\nservers:\r\n  - name: "W\r\n    \\q"\r\n'
    assert errors_of(write_inventory(text.encode("utf-8"))) == [
        f'defaults.distro (line 2): "caf\u00e9 \\s" {UNKNOWN} \\s (line 2, column 17) is not an '
        f"escape; write 'caf\u00e9 \\s' {FIX}",
        f'servers[0].name (line 4): "W<CR><newline>    \\q" {UNKNOWN} \\q (line 5, column 5) is '
        f"not an escape; write 'W<CR><newline>    \\q' {FIX}"]


def test_an_unknown_escape_in_a_key_or_behind_an_anchor_is_found(write_inventory: Write) -> None:
    text = 'servers:\n  - name: &n "W\\s"\n    "p\\orts": [80]\n'
    assert errors_of(write_inventory(text)) == [
        f'servers[0].name (line 2): "W\\s" {UNKNOWN} \\s (line 2, column 16) is not an escape; '
        f"write 'W\\s' {FIX}",
        f'servers[0] (line 3): "p\\orts" {UNKNOWN} \\o (line 3, column 7) is not an escape; '
        f"write 'p\\orts' {FIX}"]


def test_an_unknown_escape_in_a_complex_key_is_named_by_its_line(write_inventory: Write) -> None:
    text = 'servers: []\n? ["k\\s"]\n: 1\nport: &p\n  "\\q"\n'
    assert errors_of(write_inventory(text)) == [
        f'port (line 5): "\\q" {UNKNOWN} \\q (line 5, column 4) is not an escape; write \'\\q\' {FIX}',
        f'(top level) (line 2): "k\\s" {UNKNOWN} \\s (line 2, column 6) is not an escape; write '
        f"'k\\s' {FIX}"]


def test_a_known_escape_in_a_key_under_an_account_key_is_not_the_accounts(
        write_inventory: Write) -> None:
    path = write_inventory(run_as('{"a\\tb": 1}'))
    assert errors_of(path) == ["servers[0].run_as (line 3): must be text, got {'a\\tb': 1}"]


def test_past_the_repair_limit_the_values_found_are_named_by_their_line(
        write_inventory: Write) -> None:
    count = escapes.MAX_REPAIRS + 1
    text = "servers:\n" + "".join(f'  - {{name: "S{i}\\s", ports: [80]}}\n' for i in range(count))
    assert errors_of(write_inventory(text)) == [
        f'(top level) (line {i + 2}): "S{i}\\s" {UNKNOWN} \\s (line {i + 2}, column '
        f"{14 + len(str(i))}) is not an escape; write 'S{i}\\s' {FIX}" for i in range(count - 1)]


def test_locating_unknown_escapes_at_the_end_of_a_large_file_stops_at_a_budget(
        write_inventory: Write) -> None:
    good = "".join(f"  - {{name: S{i}, ports: [{', '.join(map(str, range(10000, 10010)))}]}}\n"
                   for i in range(19000))
    path = write_inventory("servers:\n" + good + "".join(f'  - {{name: "B{i}\\s", ports: [1]}}\n'
                                                         for i in range(100)))
    assert len(path.read_bytes()) < 2 * 2**20
    start = time.process_time()
    found = errors_of(path)
    assert time.process_time() - start < 2
    assert 0 < len(found) < 100 and found[0].startswith('(top level) (line 19002): "B0\\s" ')


def test_when_the_table_and_the_loader_disagree_the_loaders_error_stands(
        write_inventory: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(escapes, "SIMPLE", escapes.SIMPLE | {"s"})
    assert errors_of(write_inventory(run_as('"CORP\\svc"'))) == [
        "(top level) (line 3): YAML syntax error: found unknown escape character"]


def test_an_escaped_backslash_in_an_account_or_path_is_what_was_meant(write_inventory: Write) -> None:
    text = ('defaults:\n  run_as: "CORP\\\\svc-podman"\n  install_dir: "C:\\\\Tools\\\\Proxy"\n'
            "servers: [{name: WEB-01, ports: [80]}]\n")
    server = load_inventory(write_inventory(text)).servers[0]
    assert server.run_as == "CORP\\svc-podman"
    assert (server.install_dir.drive, server.install_dir.parts) == ("C:", ("Tools", "Proxy"))


def test_a_known_escape_outside_paths_and_accounts_is_read_as_yaml_says(write_inventory: Write) -> None:
    text = 'servers:\n  - name: "WEB\\x2d01"\n    distro: "Ubuntu\\u002d24.04"\n    ports: [80]\n'
    server = load_inventory(write_inventory(text)).servers[0]
    assert (server.name, server.distro) == ("WEB-01", "Ubuntu-24.04")


def test_the_cli_exits_1_with_the_message(write_inventory: Write,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = write_inventory(run_as('"CORP\\svc"'))
    assert main(["validate", str(path)]) == 1
    assert capsys.readouterr().err == (
        f'error: {path}: servers[0].run_as (line 3): "CORP\\svc" {UNKNOWN} \\s (line 3, column 18) '
        f"is not an escape; write 'CORP\\svc' {FIX}\n")


@pytest.mark.parametrize("char", [chr(c) for c in range(0x20, 0x7F)]
                         + ["\t", "\r", "\n", "\x85", "\u2028", "\u2029"])
def test_the_escape_table_is_the_loaders(char: str) -> None:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    typed = "\\" + char + ("0" * escapes.HEX.get(char, 0))
    try:
        yaml.load(f'"{typed}"', Loader=loader)
        loads = True
    except yaml.YAMLError:
        loads = False
    assert escapes.scan(f'"{typed}"', 0, 0, 0)[0][0].known == loads


@pytest.mark.parametrize("newline", ["\r", "\r\n", "\x85", "\u2028"])
def test_lines_are_counted_as_yaml_breaks_them(write_inventory: Write, newline: str) -> None:
    text = run_as('"CORP\\svc"').replace("\n", newline)
    assert errors_of(write_inventory(text.encode("utf-8"))) == [
        f'servers[0].run_as (line 3): "CORP\\svc" {UNKNOWN} \\s (line 3, column 18) is not an escape; '
        f"write 'CORP\\svc' {FIX}"]


def test_an_escaped_line_break_is_a_known_escape(write_inventory: Write) -> None:
    assert errors_of(write_inventory(run_as('"CORP\\\u2028svc"').encode("utf-8"))) == [
        f'servers[0].run_as (line 3): "CORP\\<U+2028>svc" {KNOWN} \\<U+2028> (line 3, column 18) is '
        f"read as ''; write 'CORP\\<U+2028>svc' {FIX}"]


def test_a_value_with_thousands_of_escapes_gets_a_short_message_fast(write_inventory: Write) -> None:
    path = write_inventory(run_as('"' + "\\t" * 50_000 + '"'))
    start = time.process_time()
    (found,) = errors_of(path)
    assert time.process_time() - start < 1
    assert len(found) < 1_000 and ", and 49990 more;" in found
    assert found.count("…(99882 more characters)…") == 2


def test_thousands_of_unknown_escapes_in_one_value_are_repaired_in_one_pass(
        write_inventory: Write) -> None:
    path = write_inventory(run_as('"' + "\\s" * 80_000 + '"'))
    start = time.process_time()
    (found,) = errors_of(path)
    assert time.process_time() - start < 1
    assert len(found) < 1_000 and ", and 79990 more;" in found


def test_many_double_quoted_values_without_a_backslash_cost_no_line_counting(
        write_inventory: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[int] = []
    real = escapes.LineIndex.__init__

    def counting(self: escapes.LineIndex, text: str) -> None:
        built.append(len(text))
        real(self, text)

    monkeypatch.setattr(escapes.LineIndex, "__init__", counting)
    names = "".join(f'  - {{name: "S{i}", ports: [{1000 + i}]}}\n' for i in range(2000))
    load_inventory(write_inventory("servers:\n" + names))
    assert built == []
    errors_of(write_inventory("servers:\n" + names + '  - {name: X, run_as: "A\\\\b\\tc", ports: [1]}\n'))
    assert len(built) == 1
