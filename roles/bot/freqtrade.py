"""What the freqtrade preset knows about Freqtrade: its API, the health of its trading loop, its env."""

from __future__ import annotations

import shlex

from roles.bot.settings import FREQTRADE_PRIVATE_CONFIG, SECRETS_MOUNT

API_PORT = 8080  # freqtrade's REST API in the container; docker publishes it on the host's 127.0.0.1 only
USER_DATA = "/freqtrade/user_data"  # the official image's user_data directory (the bot's data dir)
PRIVATE_CONFIG = f"{SECRETS_MOUNT}/{FREQTRADE_PRIVATE_CONFIG}"  # bothost's second config (key, API, exit)
# A trading-loop pass (freqtrade's `last_process`) older than this fails the health check: a dead or
# stopped loop, while the API thread still answers /api/v1/ping. Well above process_throttle_secs (5 s).
STALE_AFTER = 120
# freqtrade runs `sudo chown -R ftuser: user_data` on every start when FT_APP_ENV=docker; sudo cannot work
# under no-new-privileges, so it logged "Could not chown" each start. bothost owns user_data as the bot uid
# already. Any other value only changes one log line: the API's "listening to external connections"
# warning, which here means the container's own network namespace (docker publishes on 127.0.0.1).
APP_ENV = (("FT_APP_ENV", "bothost"),)

# Double quotes only, so shlex.quote wraps the script in one pair of single quotes. http.client, not
# urllib.request: a third of the imports, which counts where every process start is slow.
HEALTH_SCRIPT = f"""\
import base64, http.client, json, sys, time
api = json.load(open("{PRIVATE_CONFIG}"))["api_server"]
auth = base64.b64encode((api["username"] + ":" + api["password"]).encode()).decode()
conn = http.client.HTTPConnection("127.0.0.1", api["listen_port"], timeout=5)
conn.request("GET", "/api/v1/health", headers={{"Authorization": "Basic " + auth}})
last = json.load(conn.getresponse()).get("last_process_ts")
if not last or time.time() - last > STALE_AFTER:
    sys.exit("trading loop not running: last_process_ts=%s" % last)
"""


def health_cmd(stale_after: int = STALE_AFTER) -> str:
    """The docker health check: /api/v1/health (authenticated) must report a recent trading-loop pass."""
    return "python3 -c " + shlex.quote(HEALTH_SCRIPT.replace("STALE_AFTER", str(stale_after)))
