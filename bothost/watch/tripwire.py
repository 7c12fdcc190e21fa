"""The trade tripwire (pure): the account's fills and balance changes against the bot's own orders."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .alarms import Alarm
from .bot import BotBook
from .fills import Fill, pair_key

# A balance change this small (relative) is rounding, not a trade.
TOLERANCE = 1e-9


def fill_alarms(exchange: str, fills: Iterable[Fill], book: BotBook) -> list[Alarm]:
    """An alarm per fill on a pair outside the bot's pairs (the 3Commas thin-pair pattern) or of an order the
    bot did not place."""
    alarms = []
    for fill in fills:
        pair = pair_key(fill.pair)
        what = f"{fill.side} {fill.amount:g} {fill.pair} @ {fill.price:g} (order {fill.order_id})"
        if pair not in book.pairs:
            alarms.append(
                Alarm(
                    "foreign-pair",
                    f"fill:{exchange}:{fill.trade_id}",
                    f"{exchange}: fill on {fill.pair}, a pair the bot does not trade: {what}",
                    trade=True,
                )
            )
        elif not book.knows(fill.order_id, fill.client_order_id):
            alarms.append(
                Alarm(
                    "unknown-fill",
                    f"fill:{exchange}:{fill.trade_id}",
                    f"{exchange}: fill of an order the bot did not place: {what}",
                    trade=True,
                )
            )
    return alarms


def _assets(pair: str) -> set[str]:
    """The assets a bot pair touches, from its configured "BASE/QUOTE" spelling."""
    parts = pair.replace("-", "/").replace("_", "/").split(":")[0].split("/")
    return {pair_key(part) for part in parts}


def balance_alarms(
    exchange: str,
    before: dict[str, float],
    after: dict[str, float],
    book: BotBook,
    bot_pairs: Iterable[str],
    since_ms: int,
    fee_assets: Iterable[str] = (),
) -> list[Alarm]:
    """An alarm per asset whose balance moved with no bot order filled since since_ms on a pair holding it.

    bot_pairs are the configured pairs as written ("BTC/USDT"), to know each pair's assets; fee_assets
    (e.g. BNB, KCS) may move whenever any bot order filled.
    """
    recent = {o.pair for o in book.orders if o.filled_ts_ms is None or o.filled_ts_ms >= since_ms}
    explained: set[str] = set()
    pair_assets = {pair_key(p): _assets(p) for p in bot_pairs}
    for pair in recent:
        explained |= pair_assets.get(pair, set())
    if recent:
        explained |= {pair_key(a) for a in fee_assets}
    traded = set().union(*pair_assets.values()) if pair_assets else set()
    alarms = []
    for asset in sorted(set(before) | set(after)):
        old, new = before.get(asset, 0.0), after.get(asset, 0.0)
        if abs(new - old) <= TOLERANCE * max(abs(old), abs(new), 1.0) or asset in explained:
            continue
        reason = "an asset the bot does not trade" if asset not in traded else "no bot order filled"
        alarms.append(
            Alarm(
                "unexplained-balance",
                f"balance:{exchange}:{asset}:{old:g}->{new:g}",
                f"{exchange}: {asset} balance {old:g} -> {new:g} ({new - old:+g}), {reason} "
                "(a trade the bot did not place, a withdrawal or a deposit)",
                trade=True,
            )
        )
    return alarms


# Kraken ledger entry types that are the bot's own business or the owner's deposits.
_LEDGER_OK = {"trade", "deposit", "rollover", "margin", "adjustment"}


def ledger_alarms(exchange: str, entries: Iterable[dict], fill_ids: set[str]) -> list[Alarm]:
    """Kraken Ledgers: any withdrawal/transfer entry, and trade entries whose refid is no fill we checked."""
    alarms = []
    for entry in entries:
        odd_type = entry["type"] not in _LEDGER_OK
        if odd_type or (entry["type"] == "trade" and entry["refid"] not in fill_ids):
            alarms.append(
                Alarm(
                    "unexplained-balance",
                    f"ledger:{exchange}:{entry['id']}",
                    f"{exchange}: ledger {entry['type']} {entry['amount']:+g} {entry['asset']} "
                    f"(ref {entry['refid']}) that no bot order explains",
                    trade=True,
                )
            )
    return alarms


POLICIES = ("alert", "stop")


def respond(alarms: list[Alarm], policy: str, stop: Callable[[str], object]) -> bool:
    """Under the "stop" policy, call stop(reason) once when any trade alarm fired; True if it was called."""
    if policy not in POLICIES:
        raise ValueError(f"watch policy must be one of {', '.join(POLICIES)}, not {policy!r}")
    trade = [a for a in alarms if a.trade]
    if policy != "stop" or not trade:
        return False
    stop(trade[0].text)
    return True
