"""Hostile stack files: each is refused with one line naming the key, the (redacted) value and the fix.

One row per input: (id, snippet under `config:`, text the error must contain). LEGIT rows prove the rules
are narrow: values a real stack needs still pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile_stack import EXCHANGE, SENTINEL, load, write_stack

from bothost.config.uids import BOT_UIDS
from bothost.errors import BothostError

DIGEST = "sha256:" + "ab" * 32
GENERIC = "  bothost:bot:\n    image: ghcr.io/me/bot@" + DIGEST + "\n"


def bot(field: str, value: str) -> str:
    """A generic bot with one field set (value written as YAML)."""
    if field == "image":
        return f"  bothost:bot:\n    image: {value}\n"
    return f"{GENERIC}    {field}: {value}\n"


def cidrs(*networks: str, anywhere: bool = False) -> str:
    items = "".join(f"    - '{n}'\n" for n in networks)
    return "  bothost:adminCidrs:\n" + items + ("  bothost:allowSshFromAnywhere: true\n" if anywhere else "")


def api_base(url: str, local: bool = False) -> str:
    allow = "  bothost:allowLocalApiBase: true\n" if local else ""
    return EXCHANGE + f"  bothost:exchangeApiBase: '{url}'\n" + allow


def encrypted(*names: str) -> str:
    """A generic bot with these bot secrets, each a `secure:` value."""
    return GENERIC + "  bothost:botSecrets:\n" + "".join(f"    {n}:\n      secure: v1:x\n" for n in names)


def ntp(server: str) -> str:
    return f"  bothost:ntpServers:\n    - '{server}'\n"


ALIAS_BOMB = "  x: &a [l, l, l, l, l, l, l, l, l, l]\n" + "".join(
    f"  x{i}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(8))

HOSTILE = [
    # bot.dataDir: only under /srv/bothost/, normalised
    *[(f"dataDir {p}", bot("dataDir", p), "bothost:bot.dataDir") for p in (
        "/./etc", "/var/run", "/root", "/home/bothost", "/var/log", "/tmp", "/lib64", "/etc", "/", "/srv",
        "/srv/bothost", "/srv/bothost/", "/srv/bothostx/data", "relative/data")],
    *[(f"dataDir {p}", bot("dataDir", p), "not a normalised path") for p in (
        "/srv/bothost/../../etc", "/srv/bothost/./data", "/srv/bothost//data", "/srv/bothost/data/",
        "/srv/bothost/.ssh", "/srv/bothost/-rf", "'/srv/bothost/a b'")],
    ("dataDir too deep", bot("dataDir", "/srv/bothost/a/b/c/d/e"), "at most 4 directories"),
    # bot.user: never root, a system account or a host login
    *[(f"user {u}", bot("user", f"'{u}'"), "bothost:bot.user") for u in (
        "0:0", "1000:1000", "1:1", "999:999", "65534:65534", f"{BOT_UIDS.start}:0", f"{BOT_UIDS.start}:27",
        "99999999999:1", f"{BOT_UIDS.start}:{BOT_UIDS.stop}", "-1:-1", "root", "10000")],
    ("user with a preset", "  bothost:bot:\n    preset: freqtrade\n    user: '10000:10000'\n"
     "  bothost:botSecrets:\n    apiPassword:\n      secure: v1:x\n", "fixes the user"),
    # secrets never echoed
    ("botSecrets a string", GENERIC + f"  bothost:botSecrets: {SENTINEL}\n", "bothost:botSecrets = ***"),
    ("botSecrets a list", GENERIC + f"  bothost:botSecrets: [{SENTINEL}]\n", "bothost:botSecrets = ***"),
    ("botSecrets JSON-ish", GENERIC + f"  bothost:botSecrets: '{{\"a\": \"{SENTINEL}\"'\n", "= ***"),
    ("botSecrets number name", GENERIC + f"  bothost:botSecrets:\n    1:\n      secure: {SENTINEL}\n",
     "bothost:botSecrets.1 = ***: a name must be text"),
    ("botSecrets bad name", GENERIC + f"  bothost:botSecrets:\n    'a b':\n      secure: {SENTINEL}\n",
     "not a usable secret name"),
    ("botSecrets secure number", GENERIC + "  bothost:botSecrets:\n    a:\n      secure: 5\n", "ciphertext"),
    ("botSecrets plain", GENERIC + f"  bothost:botSecrets:\n    telegramToken: {SENTINEL}\n", "plain text"),
    ("botSecrets partly plain", GENERIC + "  bothost:botSecrets:\n    a:\n      secure: v1:x\n"
     f"    b: {SENTINEL}\n", "plain text"),
    ("api key plain", EXCHANGE.replace("bothost:exchangeApiKey:\n    secure: v1:AAAA",
                                       f"bothost:exchangeApiKey: {SENTINEL}"), "plain text"),
    ("api secret a list", EXCHANGE.replace("bothost:exchangeApiSecret:\n    secure: v1:BBBB",
                                           f"bothost:exchangeApiSecret: [{SENTINEL}]"), "plain text"),
    ("passphrase plain", EXCHANGE + f"  bothost:exchangePassphrase: {SENTINEL}\n", "plain text"),
    ("secret-looking env", bot("env", f"{{API_KEY: {SENTINEL}}}"), "bothost:bot.env.API_KEY = ***"),
    ("unknown bot field", bot("apiSecret", SENTINEL), "bothost:bot.apiSecret = (set)"),
    ("secret names share a variable", encrypted("telegramToken", "telegram_token"), "same environment"),
    ("secret names differ in case", encrypted("TelegramToken", "telegramToken"), "same environment variable"),
    # the world-open SSH guard
    ("three /8s", cidrs("1.0.0.0/8", "2.0.0.0/8", "3.0.0.0/8"), "together these open SSH"),
    ("the internet as /8s", cidrs(*[f"{n}.0.0.0/8" for n in range(1, 224) if n not in (10, 127, 172, 192)]),
     "together these open SSH"),
    ("two halves", cidrs("0.0.0.0/1", "128.0.0.0/1"), "large part of the internet"),
    ("IPv6 /3", cidrs("2000::/3"), "large part of the internet"),
    ("IPv6 /31", cidrs("2001:db8::/31"), "large part of the internet"),
    ("three IPv6 /32s", cidrs("2001:db8::/32", "2001:db9::/32", "2001:dba::/32"), "together these"),
    *[(f"docker {n}", cidrs(n), "Docker's container network") for n in (
        "172.17.0.0/16", "172.17.0.5/32", "172.16.0.0/12", "172.31.255.1/32", "192.168.1.10/32",
        "192.168.0.0/16")],
    ("zone id", cidrs("fe80::1%eth0/128"), "zone id"),
    *[(f"never {n}", cidrs(n), "can never be an admin's address") for n in (
        "fe80::1/128", "169.254.169.254/32", "127.0.0.1/32", "::1/128", "224.0.0.1/32", "240.0.0.1/32")],
    ("mapped", cidrs("::ffff:203.0.113.7/128"), "IPv4-mapped"),
    ("unspecified", cidrs("0.0.0.0/32"), "no one's address"),
    ("anywhere plus docker", cidrs("128.0.0.0/1", anywhere=True), "Docker's container network"),
    # exchangeApiBase
    *[(f"api {u}", api_base(u), "bothost:exchangeApiBase") for u in (
        "http://169.254.169.254", "https://169.254.169.254", "https://0.0.0.0", "http://[::]",
        "https://api.binance.com@evil.example", "https://user:pw@api.binance.com", "https://api.binance.com#x",
        "https://api.binance.com?a=1", "https://api.binance.com/api", "https://api.binance.com:0",
        "https://api.binance.com:99999", "https://api.binance.com:", "https://api.binance.com:+1",
        "https://api .binance.com", "https://api.\tbinance.com", "http://api.binance.com",
        "ftp://api.binance.com", "https://2852039166", "https://127.1", "https://localhost",
        "https://metadata.google.internal", "http://127.0.0.1:8080", "https://10.0.0.1", "https://xn--",
        "https://[fe80::1%25eth0]", "https://api.binance.com;x", "//api.binance.com")],
    ("api metadata even when local", api_base("http://169.254.169.254", local=True), "metadata service"),
    ("api 0.0.0.0 even when local", api_base("http://0.0.0.0:80", local=True), "unspecified"),
    ("api decimal IP even when local", api_base("http://2852039166", local=True), "not a fully qualified"),
    ("api short IP even when local", api_base("http://127.1", local=True), "not a fully qualified"),
    # image references
    *[(f"image {r}", bot("image", f"'{r}'"), "bothost:bot.image") for r in (
        "-rm", "--privileged", "-", "Busybox", "a//b", "a/b/", "ghcr.io/me/bot@sha256:abc", "me/bot:",
        ":tag", "me/bot:tag with space", "localhost:0/x", "x" * 600, "me/bot@sha512:" + "a" * 128,
        "me/-bot", "me/bot:-tag", "me/bot:" + "t" * 129)],
    # crashes that used to be tracebacks
    ("bot key a number", GENERIC + "    1: x\n", "bothost:bot.1"),
    ("env key a number", bot("env", "{A: b, 1: c}"), "bothost:bot.env.1"),
    ("env key null", bot("env", "{A: b, null: c}"), "bothost:bot.env.None"),
    ("huge port", "  bothost:sshPort: 1" + "0" * 5000 + "\n", "a number is too large"),
    ("huge memory", bot("memory", "1" + "0" * 40), "bothost:bot.memory"),
    ("huge memory text", bot("memory", "'" + "9" * 5000 + "'"), "bothost:bot.memory"),
    ("huge grace", bot("stopGracePeriod", "9" * 40), "bothost:bot.stopGracePeriod"),
    ("infinite cpus", bot("cpus", ".inf"), "bothost:bot.cpus"),
    ("nan cpus", bot("cpus", ".nan"), "bothost:bot.cpus"),
    ("huge env value", bot("env", "{A: " + "1" * 40 + "}"), "bothost:bot.env.A"),
    ("alias bomb", ALIAS_BOMB, "expands to more than"),
    ("recursive alias", "  bothost:ntpServers: &a [*a]\n", "recursive"),
    ("duplicate key", "  bothost:sshPort: 22\n  bothost:sshPort: 2222\n", "duplicate key"),
    ("duplicate bot field", GENERIC + "    image: busybox\n", "duplicate key"),
    ("deep nesting", "  x: " + "[" * 3000 + "]" * 3000 + "\n", "nested more than 32 deep"),
    ("python tag", "  x: !!python/object:os.system [id]\n", "not valid YAML"),
    ("tab indentation", "\tbothost:sshPort: 22\n", "not valid YAML at line"),
    ("config key a number", "  1: x\n", "is not a name"),
    ("complex key", "  ? [a, b]\n  : x\n", "not a list or mapping"),
    ("NUL escape in env", bot("env", '{A: "x\\0y"}'), "control character"),
    ("escape sequence in args", bot("args", '["\\e[31mred"]'), "control character"),
    ("NUL in command", bot("command", '["/bin/sh", "\\0"]'), "bothost:bot.command[1]"),
    ("NUL in healthCmd", bot("healthCmd", '"true\\0"'), "bothost:bot.healthCmd"),
    ("oversize env", bot("env", "{A: " + "x" * 5000 + "}"), "longer than 4096"),
    ("oversize arg", bot("args", "[" + "x" * 5000 + "]"), "longer than 4096"),
    ("oversize healthCmd", bot("healthCmd", "x" * 5000), "longer than 4096"),
    ("too many args", bot("args", "[" + ", ".join(["a"] * 200) + "]"), "at most 128"),
    ("too many env", bot("env", "{" + ", ".join(f"V{i}: x" for i in range(200)) + "}"), "at most 128"),
    ("memory too big", bot("memory", "1000g"), "at most 256g"),
    ("memory in terabytes", bot("memory", "1t"), "bothost:bot.memory"),
    *[(f"admin {u}", f"  bothost:adminUser: {u}\n", "reserved system account or group") for u in (
        "root", "daemon", "bin", "sys", "adm", "sudo", "docker", "systemd-network", "systemd-x", "_apt",
        "nobody", "nogroup", "staff", "users", "shadow", "disk", "sshd", "messagebus", "polkitd", "tss")],
    *[(f"ntp {s}", ntp(s), "bothost:ntpServers[0]") for s in (
        "....", "-ntp.example", "a..b", ":::::", "ntp", "0.0.0.0", "127.1", "ntp example.com", "fe80::1%eth0",
        "ntp.example.123", "x" * 300, "ntp_1.example.com", "ff02::101")],
    # keys main added since: bot.files, the FREQTRADE__ refusals, sshIdentityFile, placement
    ("NUL in files", bot("files", '"/tmp\\0x"'), "bothost:bot.files"),
    ("newline in files", bot("files", '"/tmp\\nx"'), "bothost:bot.files"),
    ("oversize files", bot("files", "x" * 5000), "longer than 4096"),
    ("files not a folder", bot("files", "/nonexistent/bot-files"), "not a local directory"),
    ("freqtrade key override", "  bothost:bot:\n    preset: freqtrade\n    env: {FREQTRADE__EXCHANGE__KEY: "
     + SENTINEL + "}\n  bothost:botSecrets:\n    apiPassword:\n      secure: v1:x\n", "exchange.key"),
    ("freqtrade api override", "  bothost:bot:\n    preset: freqtrade\n    env: {FREQTRADE__API_SERVER__X: "
     "\"a\\e[2J\"}\n  bothost:botSecrets:\n    apiPassword:\n      secure: v1:x\n", "a\\x1b[2J"),
    ("identity file is a key", "  bothost:sshIdentityFile: '-----BEGIN OPENSSH PRIVATE KEY----- " + SENTINEL
     + "'\n", "bothost:sshIdentityFile = ***"),
    ("identity file with NUL", '  bothost:sshIdentityFile: "~/.ssh/id\\0"\n', "bothost:sshIdentityFile"),
    ("server type not sold there", "  bothost:location: ash\n  bothost:serverType: cx23\n",
     "bothost:serverType"),
    ("server type escape", '  bothost:serverType: "cx23\\e[2J"\n', "cx23\\x1b[2J"),
    ("newline in value", "  bothost:location: \"fsn1\\nEvil: x\"\n", "fsn1\\nEvil"),
    ("control chars in key", "  \"bothost:x\\e[2J\": 1\n", "bothost:x\\x1b[2J"),
]


@pytest.mark.parametrize(("snippet", "expected"), [r[1:] for r in HOSTILE], ids=[r[0] for r in HOSTILE])
def test_hostile_stack_is_refused_in_one_line(snippet: str, expected: str, tmp_path: Path) -> None:
    path = write_stack(tmp_path, snippet)
    with pytest.raises(BothostError) as caught:
        load(path)
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message and "\r" not in message and len(message) < 700
    assert SENTINEL not in message


@pytest.mark.parametrize(("raw", "expected"), [
    (b"  bothost:location: \xff\xfe\n", "not UTF-8"),
    (b"  bothost:location: fsn1\x00\n", "not valid YAML"),
    (b"  bothost:location: fsn1\x1b\n", "not valid YAML"),
    (b"  x: '" + b"a" * (256 * 1024) + b"'\n", "larger than 256 KiB"),
], ids=["latin-1", "NUL byte", "escape byte", "huge file"])
def test_undecodable_stack_file_is_refused(raw: bytes, expected: str, tmp_path: Path) -> None:
    with pytest.raises(BothostError, match=expected) as caught:
        load(write_stack(tmp_path, raw))
    assert "\n" not in str(caught.value)


LEGIT = [
    ("dataDir default", bot("dataDir", "/srv/bothost/data"), lambda s: s.bot.data_dir == "/srv/bothost/data"),
    ("dataDir per bot", bot("dataDir", "/srv/bothost/bot-2/state"), lambda s: True),
    ("user in range", bot("user", "'10000:10000'"), lambda s: s.bot.user == "10000:10000"),
    ("user top of range", bot("user", "'19999:19999'"), lambda s: s.bot.user == "19999:19999"),
    ("user leading zeros", bot("user", "'012345:012345'"), lambda s: s.bot.user == "12345:12345"),
    ("private network", cidrs("10.0.0.0/8", "203.0.113.7/32"), lambda s: len(s.host.admin_cidrs) == 2),
    ("172.16/16 is not Docker's", cidrs("172.16.0.0/16"), lambda s: s.host.admin_cidrs == ("172.16.0.0/16",)),
    ("carrier NAT", cidrs("100.64.0.0/10"), lambda s: s.host.admin_cidrs == ("100.64.0.0/10",)),
    ("v4 and v6", cidrs("198.51.100.0/24", "2001:db8::/48", "2001:db8:1::/64"), lambda s: True),
    ("anywhere, asked for", cidrs("0.0.0.0/0", "::/0", anywhere=True), lambda s: True),
    ("two /8s", cidrs("1.0.0.0/8", "2.0.0.0/8"), lambda s: True),
    ("testnet", api_base("https://testnet.binance.vision/"),
     lambda s: s.exchange.api_base == "https://testnet.binance.vision"),
    ("api port", api_base("https://api.binance.com:443"), lambda s: True),
    ("api public IP", api_base("https://8.8.8.8"), lambda s: True),
    ("local fake exchange", api_base("http://127.0.0.1:8080", local=True), lambda s: True),
    ("rehearsal gateway", api_base("http://10.0.2.2:9000", local=True), lambda s: True),
    ("local IPv6", api_base("http://[::1]:9000", local=True), lambda s: True),
    ("registry with port", bot("image", "registry.example.com:443/team/bot_v2:2024.01-rc1"), lambda s: True),
    ("localhost registry", bot("image", "localhost:5000/me/bot:1.0"), lambda s: True),
    ("IPv6 registry", bot("image", "'[::1]:5000/bot'"), lambda s: True),
    ("library image", bot("image", "busybox"), lambda s: s.bot.image == "busybox"),
    ("env with newline", bot("env", '{GREETING: "a\\nb", TABS: "a\\tb", N: 5, ON: true}'),
     lambda s: dict(s.bot.env) == {"GREETING": "a\nb", "TABS": "a\tb", "N": "5", "ON": "True"}),
    ("unicode env", bot("env", "{CITY: Zürich}"), lambda s: dict(s.bot.env)["CITY"] == "Zürich"),
    ("files folder", bot("files", "/tmp"), lambda s: s.bot.files == "/tmp"),
    ("freqtrade other override", "  bothost:bot:\n    preset: freqtrade\n    env: {FREQTRADE__BOT_NAME: b}\n"
     "  bothost:botSecrets:\n    apiPassword:\n      secure: v1:x\n", lambda s: dict(s.bot.env) == {
         "FREQTRADE__BOT_NAME": "b"}),
    ("identity file path", "  bothost:sshIdentityFile: ~/.ssh/id_ed25519\n",
     lambda s: s.host.ssh_identity_file == "~/.ssh/id_ed25519"),
    ("ccx13 in ash", "  bothost:location: ash\n  bothost:serverType: ccx13\n", lambda s: True),
    ("memory max", bot("memory", "256g"), lambda s: s.bot.memory_bytes == 256 * 1024**3),
    *[(f"admin {u}", f"  bothost:adminUser: {u}\n", lambda s: True) for u in ("bothost", "trader", "ops-1")],
    *[(f"ntp {n}", ntp(n), lambda s: True) for n in (
        "ntp1.hetzner.de", "192.0.2.123", "2001:db8::123", "time.cloudflare.com", "ntp.example.")],
    ("secrets encrypted", encrypted("telegramToken", "chatId"),
     lambda s: [n for n, _ in s.bot.secrets] == ["chatId", "telegramToken"]),
    ("merge key", "  base: &b {image: busybox}\n  bothost:bot:\n    <<: *b\n    memory: 512m\n",
     lambda s: s.bot.image == "busybox"),
    ("small aliases", "  nets: &n ['203.0.113.7/32']\n  bothost:adminCidrs: *n\n", lambda s: True),
]


@pytest.mark.parametrize(("snippet", "check"), [row[1:] for row in LEGIT], ids=[row[0] for row in LEGIT])
def test_legitimate_values_still_pass(snippet: str, check, tmp_path: Path) -> None:
    spec = load(write_stack(tmp_path, snippet))
    assert check(spec)
