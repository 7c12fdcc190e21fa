"""A tiny Freqtrade strategy for bothost's proofs: always wants to enter, 2% below the market.

The limit buy rests on the book (the fake exchange never fills it), so the bot holds one open order,
which it must cancel when it is stopped (cancel_open_orders_on_exit).
"""

from freqtrade.strategy import IStrategy
from pandas import DataFrame


class BothostOpenOrder(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "5m"
    minimal_roi = {"0": 10.0}  # noqa: RUF012 (freqtrade reads it as a class attribute); never take profit: the order is only there to be cancelled
    stoploss = -0.99
    startup_candle_count = 10
    process_only_new_candles = False

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["exit_long"] = 0
        return dataframe

    def custom_entry_price(self, pair, trade, current_time, proposed_rate, entry_tag, side, **kwargs):
        return proposed_rate * 0.98  # within freqtrade's default 2% custom-price limit, below the bid
