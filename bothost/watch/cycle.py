"""One poll of one exchange: the clock, the account's fills or balances, the comparison, the alarms."""

from __future__ import annotations

from ..keyaudit.probe.exchanges import EXCHANGES
from ..keyaudit.probe.main import measure_clock, scrub
from ..keyaudit.probe.parsing import ApiError
from ..keyaudit.probe.signing import Creds
from ..keyaudit.probe.wire import Unreachable
from . import tripwire
from .alarms import Alarm, Reachability, skew_alarms
from .bot import BotBook
from .sources import KRAKEN_LEDGERS, SOURCES, fetch

OVERLAP_MS = 300_000  # re-read the last 5 minutes each poll: fills can land late; repeats are de-duplicated


class ExchangeWatch:
    """The watcher's state for one exchange account: where it reads from, what it saw last."""

    def __init__(
        self,
        exchange: str,
        creds: Creds,
        base: str,
        *,
        since_ms: int,
        bot_pairs: list[str],
        fail_limit: int = 3,
        skew_limit_ms: int = 1000,
        fee_assets: tuple[str, ...] = (),
        timeout: float = 10.0,
    ) -> None:
        self.exchange, self.creds, self.base = exchange, creds, base
        self.source = SOURCES[exchange]
        self.since_ms, self.bot_pairs, self.fee_assets = since_ms, bot_pairs, fee_assets
        self.reach = Reachability(exchange, fail_limit)
        self.skew_limit_ms, self.timeout = skew_limit_ms, timeout
        self.balances: dict[str, float] | None = None
        self.last_fills: list = []  # the fills the last good poll read (for the watcher's log)

    def poll(self, book: BotBook, now_ms: int) -> list[Alarm]:
        """Read the exchange once (now_ms: the watcher's time, for what to read next; requests are signed
        with the real clock); every problem is an alarm, never an exception."""
        alarms: list[Alarm] = []
        try:
            alarms = skew_alarms(
                self.exchange,
                measure_clock(EXCHANGES[self.exchange], self.base, self.timeout),
                self.skew_limit_ms,
            )
            found = fetch(self.source, self.creds, self.base, self.since_ms, self.timeout)
            ledger = (
                fetch(KRAKEN_LEDGERS, self.creds, self.base, self.since_ms, self.timeout, nonce_step=1)
                if self.exchange == "kraken"
                else None
            )
        except Unreachable as error:
            return self.reach.failed(str(error))
        except ApiError as error:
            refused = Alarm(
                "refused",
                f"refused:{self.exchange}:{error.code}",
                scrub(
                    f"{self.exchange}: the exchange refused the watcher's read"
                    f" ({error.code}: {error.message})",
                    [s for s in (self.creds.key, self.creds.secret, self.creds.passphrase) if s],
                ),
            )
            return [*self.reach.succeeded(), *alarms, refused]
        except (KeyError, ValueError, TypeError, IndexError, AttributeError) as error:
            return self.reach.failed(f"unexpected reply ({type(error).__name__})")
        alarms = self.reach.succeeded() + alarms
        if self.source.kind == "fills":
            self.last_fills = list(found)
            alarms += tripwire.fill_alarms(self.exchange, found, book)
            if ledger is not None:
                alarms += tripwire.ledger_alarms(self.exchange, ledger, {f.trade_id for f in found})
        else:
            if self.balances is not None:
                alarms += tripwire.balance_alarms(
                    self.exchange,
                    self.balances,
                    found,
                    book,
                    self.bot_pairs or book.names,  # configured, else as the bot names them
                    self.since_ms,
                    self.fee_assets,
                )
            self.balances = found
        self.since_ms = max(self.since_ms, now_ms - OVERLAP_MS)
        return alarms
