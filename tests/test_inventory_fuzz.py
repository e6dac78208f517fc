"""The inventory fuzzer: mutated copies of the shipped ``inventory.toml`` (byte flips,
truncation, deep nesting, huge strings, duplicated keys, wrong types, ...) through
``netmon check``'s logic. Each must end in success or a ``NetmonError`` whose message names the
file; any other exception is a traceback an operator would see, and fails the test.

Seeded and bounded: the same 520 files every run (~15-25 s), all listed at once when some fail.
A few go through the real ``netmon check`` process too; and a 20,000-device file must check in
under 5 s (the figure itself: benchmarks/inventory.py).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from agent.commands.check import run_check
from agent.errors import NetmonError
from tests.inventory_gen import SHIPPED, big_inventory, split_shipped

ROOT = Path(__file__).resolve().parents[1]
SEED = 20261205
FILES = 520

Mutation = Callable[[random.Random, bytes], bytes]

_WRONG_VALUES = (
    b'"x"',
    b"-1",
    b"0",
    b"70000",
    b"99999999999999999999999999",
    b"1.5",
    b"inf",
    b"nan",
    b"true",
    b"[]",
    b"[1, 2]",
    b"{}",
    b"{ env = 5 }",
    b'{ file = "" }',
    b'{ credential = "" }',
    b'"inline-secret"',
    b"1979-05-27T07:32:00Z",
    b"07:32:00",
    b'[["a"], "b"]',
    b"{ x = 1 }",
    b'"' + "天融信".encode() * 3 + b'"',
    b'"\\u0000"',
    b'"a\\nb"',
    b"-0.0",
    b"0x7fffffffffffffff",
)


def flip_bytes(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return data
    out = bytearray(data)
    for _ in range(rng.randint(1, 20)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data))] if data else data


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _keyed(lines: list[bytes]) -> list[int]:
    """Indexes of the `key = value` lines (an earlier mutation may have left none)."""
    return [i for i, line in enumerate(lines) if b" = " in line and not line.startswith(b"#")]


def deep_nesting(rng: random.Random, data: bytes) -> bytes:
    depth = rng.choice((20, 31, 32, 33, 64, 500, 5000, 50000))
    opener, closer = rng.choice(((b"[", b"]"), (b"{ a = ", b" }")))
    value = opener * depth + b"1" + closer * depth
    lines = _lines(data)
    at = rng.randrange(len(lines))
    lines.insert(at, b"deep = " + value)
    return b"\n".join(lines)


def huge_string(rng: random.Random, data: bytes) -> bytes:
    # Up to 6 MB (2M of a 3-byte character): beyond the biggest real inventory, and cheap
    # enough that 520 files stay a ~20 s test. The 16 MB limit has its own test.
    size = rng.choice((10_000, 200_000, 2_000_000))
    lines = _lines(data)
    keyed = _keyed(lines)
    if not keyed:
        return data
    i = rng.choice(keyed)
    key = lines[i].split(b" = ", 1)[0]
    lines[i] = key + b' = "' + rng.choice((b"A", "华".encode())) * size + b'"'
    return b"\n".join(lines)


def duplicate_key(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    keyed = _keyed(lines)
    if not keyed:
        return data
    i = rng.choice(keyed)
    lines.insert(i + 1, lines[i])
    return b"\n".join(lines)


def duplicate_table(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    headers = [i for i, line in enumerate(lines) if line.startswith(b"[")]
    if not headers:
        return data
    i = rng.choice(headers)
    lines.insert(rng.randrange(len(lines)), lines[i])
    return b"\n".join(lines)


def wrong_type(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    keyed = _keyed(lines)
    for i in rng.sample(keyed, min(len(keyed), rng.randint(1, 3))):
        key = lines[i].split(b" = ", 1)[0]
        lines[i] = key + b" = " + rng.choice(_WRONG_VALUES)
    return b"\n".join(lines)


def shuffle_lines(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    for _ in range(rng.randint(1, 10)):
        a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[a], lines[b] = lines[b], lines[a]
    return b"\n".join(lines)


def delete_lines(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    for _ in range(min(len(lines), rng.randint(1, 15))):
        del lines[rng.randrange(len(lines))]
    return b"\n".join(lines)


def many_devices(rng: random.Random, data: bytes) -> bytes:
    head, blocks = split_shipped(data.decode("utf-8", "replace"))
    if not blocks:
        return data
    extra = "".join(rng.choice(blocks) for _ in range(rng.randint(1, 200)))
    return (head + "".join(blocks) + extra).encode()


def junk(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    noise = rng.choice(
        (b"\x00\x00", b"\xff\xfe", b"\r", b"[[", b"]]", b"=", b'"""', b"'''", b"\\", b"\x1b[2J")
    )
    lines.insert(rng.randrange(len(lines)), noise * rng.randint(1, 4))
    return b"\n".join(lines)


MUTATIONS: tuple[Mutation, ...] = (
    flip_bytes,
    truncate,
    deep_nesting,
    huge_string,
    duplicate_key,
    duplicate_table,
    wrong_type,
    shuffle_lines,
    delete_lines,
    many_devices,
    junk,
)


def mutated(index: int, original: bytes) -> tuple[str, bytes]:
    """The index-th mutated file: one to three mutations, from a generator seeded by index."""
    rng = random.Random(SEED * 1000 + index)
    data = original
    names = []
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        mutation = rng.choice(MUTATIONS)
        names.append(mutation.__name__)
        data = mutation(rng, data)
    return "+".join(names), data


def check(path: Path) -> tuple[str, str]:
    """``netmon check PATH`` in-process: ("ok" | "error", message)."""
    out = io.StringIO()
    args = argparse.Namespace(file=path, resolve_secrets=False)
    try:
        with contextlib.redirect_stdout(out):
            run_check(args)
    except NetmonError as error:
        return "error", str(error)
    return "ok", out.getvalue()


def test_mutated_inventories_give_a_clear_error_or_success(tmp_path: Path) -> None:
    original = SHIPPED.read_bytes()
    failures: list[str] = []
    outcomes = {"ok": 0, "error": 0}
    kinds: set[str] = set()
    for index in range(FILES):
        name, data = mutated(index, original)
        kinds.update(name.split("+"))
        path = tmp_path / f"fuzz-{index:04d}.toml"
        path.write_bytes(data)
        try:
            outcome, message = check(path)
        except Exception as error:  # what the fuzzer hunts: an operator would see a traceback
            failures.append(f"#{index} ({name}): {type(error).__name__}: {str(error)[:200]}")
            continue
        outcomes[outcome] += 1
        if outcome == "error" and not message.startswith(str(path)):
            failures.append(f"#{index} ({name}): error does not name the file: {message[:200]}")
        if len(message) > 200_000:
            failures.append(f"#{index} ({name}): {len(message)} characters of error")
        path.unlink()
    assert not failures, f"{len(failures)} of {FILES} mutated files:\n" + "\n".join(failures)
    assert kinds == {m.__name__ for m in MUTATIONS}  # every mutation was exercised
    # Not all bad, not all good: the mutations do reach the checker's both ends.
    assert outcomes["error"] > FILES // 2 and outcomes["ok"] > 0, outcomes


@pytest.mark.parametrize("index", [3, 17, 42, 101, 250])
def test_mutated_inventory_through_the_real_command(tmp_path: Path, index: int) -> None:
    name, data = mutated(index, SHIPPED.read_bytes())
    path = tmp_path / "inventory.toml"
    path.write_bytes(data)
    result = subprocess.run(
        [sys.executable, "-m", "agent.cli", "check", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in result.stderr, (name, result.stderr[-2000:])
    assert result.returncode in (0, 2), (name, result.returncode, result.stderr[-2000:])
    if result.returncode:
        assert result.stderr.startswith(f"netmon check: {path}"), (name, result.stderr[:500])


def test_deep_nesting_is_a_clear_error_with_the_line(tmp_path: Path) -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    line = text.count("\n") + 1
    path = tmp_path / "deep.toml"
    path.write_text(text + "nested = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    outcome, message = check(path)
    assert outcome == "error"
    assert message.splitlines()[1].startswith(f"{path}:{line}: values nested more than 32 deep")


def test_an_oversized_file_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    from agent.inventory import InventoryError
    from agent.tomlfile import read_toml

    path = tmp_path / "big.toml"
    path.write_bytes(b"# padding\n" * 200_000)  # 2 MB
    with pytest.raises(InventoryError, match=r"big\.toml: larger than 1 MB"):
        read_toml(path, InventoryError, max_bytes=1024 * 1024)


def test_a_20000_device_inventory_checks_in_linear_time(tmp_path: Path) -> None:
    path = tmp_path / "inventory.toml"
    path.write_text(big_inventory(20_000), encoding="utf-8")
    started = time.perf_counter()
    outcome, message = check(path)
    elapsed = time.perf_counter() - started
    assert outcome == "ok", message[:2000]
    assert "20000 devices" in message
    # benchmarks/inventory.py prints the figure the 5 s target is judged by (~2 s);
    # this bound only catches a return of the quadratic lookup (over a minute), with room for
    # a loaded CI machine.
    assert elapsed < 30.0, f"netmon check took {elapsed:.1f} s for 20,000 devices"


def test_mutated_settings_files_give_a_clear_error_or_success(tmp_path: Path) -> None:
    """The same mutations on deploy/netmon.toml, through the daemon's settings loader (what
    `netmon run` and SIGHUP read)."""
    from agent.settings import load_settings

    original = (ROOT / "deploy" / "netmon.toml").read_bytes()
    failures: list[str] = []
    errors = 0
    for index in range(150):
        name, data = mutated(10_000 + index, original)
        path = tmp_path / f"netmon-{index:03d}.toml"
        path.write_bytes(data)
        try:
            load_settings(path)
        except NetmonError as error:
            errors += 1
            if not str(error).startswith(str(path)):
                failures.append(f"#{index} ({name}): does not name the file: {str(error)[:200]}")
        except Exception as error:  # a traceback for the operator
            failures.append(f"#{index} ({name}): {type(error).__name__}: {str(error)[:200]}")
    assert not failures, "\n".join(failures)
    assert errors > 50
