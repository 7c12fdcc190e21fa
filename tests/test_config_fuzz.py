"""Random and mutated stack files: the loader either returns a spec or raises BothostError, one line long and
without a secret in it; never another exception (a traceback for the user). Seeded, so a failure repeats."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import yaml
from hostile_stack import ADMIN_KEY, SENTINEL, load

from bothost.config import RawConfig, parse_spec
from bothost.config.bot import BOT_FIELDS
from bothost.config.spec import MUST_BE_SECRET, known_keys
from bothost.errors import BothostError

SEED = 20261129
CASES = 300
HOSTILE_TEXT = ["", " ", "\x00", "a\nb", "\r\n", "\x1b[2J", "-rf", "--privileged", "../..", "/./etc",
                "ü" * 3, "\u202e", "x" * 5000, "0.0.0.0/0", "fe80::1%eth0/128", "https://a@b",
                "*", "&", "!!", "{", "["]
HOSTILE_NUMBERS = [0, -1, 2**31, 10**40, -(10**40), 1.5, float("inf"), float("nan"), True, False, None]
PLAUSIBLE = {
    "bothost:adminSshKeys": [[f"{ADMIN_KEY} me"], [], ["ssh-ed25519 AAAA"]],
    "bothost:adminCidrs": [["203.0.113.7/32"], ["10.0.0.0/8", "::/0"], ["172.17.0.1/32"]],
    "bothost:bot": [{"image": "busybox"}, {"preset": "freqtrade"}, {"image": "x", "user": "0:0"}],
    "bothost:exchange": ["binance", "okx", "ftx"],
}


def scalar(rng: random.Random) -> object:
    pool = HOSTILE_TEXT if rng.random() < 0.6 else HOSTILE_NUMBERS
    return rng.choice(pool)


def value(rng: random.Random, depth: int = 0) -> object:
    roll = rng.random()
    if depth > 3 or roll < 0.5:
        return scalar(rng)
    if roll < 0.75:
        return [value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    keys = [*BOT_FIELDS, "secure", "value", 1, None, True, 2.5, "A B", "PATH"]
    return {rng.choice(keys): value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def secret_value(rng: random.Random) -> object:
    """Where a secret goes: its text is SENTINEL, however it is wrapped."""
    return rng.choice([SENTINEL, {"secure": SENTINEL}, [SENTINEL], {"secure": 5}, {"x": SENTINEL},
                       {"telegramToken": SENTINEL}, {"a b": {"secure": SENTINEL}}, f'{{"a": "{SENTINEL}"}}'])


def document(rng: random.Random) -> dict[object, object]:
    """A config mapping: some known keys with plausible or hostile values, a few stray keys."""
    config: dict[object, object] = {"bothost:adminSshKeys": [f"{ADMIN_KEY} me"],
                                    "bothost:adminCidrs": ["203.0.113.7/32"]}
    for key in rng.sample(sorted(known_keys()), rng.randint(0, 6)):
        if key in MUST_BE_SECRET:
            config[key] = secret_value(rng)
        elif key in PLAUSIBLE and rng.random() < 0.5:
            config[key] = rng.choice(PLAUSIBLE[key])
        else:
            config[key] = value(rng)
    if rng.random() < 0.2:
        config[rng.choice([1, None, "bothost:zzz", "aws:region", 2.5])] = value(rng)
    return config


def dump(config: dict[object, object], rng: random.Random) -> str:
    return yaml.safe_dump({"config": config}, sort_keys=False, allow_unicode=rng.random() < 0.5)


def mutate(data: bytes, rng: random.Random) -> bytes:
    """Flip, insert or delete bytes and lines, favouring YAML's special characters."""
    specials = [b":", b"&a ", b"*a", b"- ", b"{", b"[", b"!!", b"\t", b"\x00", b"\xff", b"'", b'"', b"\n",
                b"<<: "]
    out = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        where = rng.randrange(len(out) + 1)
        roll = rng.random()
        if roll < 0.4:
            out[where:where] = rng.choice(specials)
        elif roll < 0.7 and out:
            del out[where:where + rng.randint(1, 8)]
        else:
            lines = bytes(out).split(b"\n")
            line = rng.randrange(len(lines))
            lines.insert(line, lines[rng.randrange(len(lines))])
            out = bytearray(b"\n".join(lines))
    return bytes(out)


def assert_clean_outcome(load_once, secret_free: bool, case: str) -> None:
    try:
        load_once()
    except BothostError as error:
        message = str(error)
        assert "\n" not in message and "\r" not in message, f"{case}: {message!r}"
        if secret_free:
            assert SENTINEL not in message, f"{case}: {message!r}"
    except Exception as error:  # the point: nothing else may come out
        pytest.fail(f"{case}: {type(error).__name__}: {error!r}"[:500])


@pytest.mark.parametrize("chunk", range(4))
def test_random_stack_files_give_a_spec_or_one_line(chunk: int, tmp_path: Path) -> None:
    rng = random.Random(SEED + chunk)
    path = tmp_path / "Pulumi.fuzz.yaml"
    for case in range(CASES // 4):
        text = dump(document(rng), rng)
        path.write_text(text, encoding="utf-8")
        assert_clean_outcome(lambda: load(path), True, f"seed {SEED + chunk} case {case} (generated)")
        path.write_bytes(mutate(text.encode(), rng))
        assert_clean_outcome(lambda: load(path), False, f"seed {SEED + chunk} case {case} (mutated)")


def test_random_engine_values_give_a_spec_or_one_line() -> None:
    """The `pulumi up` path: the engine hands strings (lists, objects as JSON) and marks the secret keys."""
    rng = random.Random(SEED)
    for case in range(CASES):
        config = {k: v for k, v in document(rng).items() if isinstance(k, str)}
        values = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
        raw = RawConfig(values, plain=[k for k in values if k not in MUST_BE_SECRET])
        assert_clean_outcome(lambda raw=raw: parse_spec(raw), True, f"seed {SEED} case {case} (engine)")
