"""A minimal two-sided market maker for the bothost proofs: one bid and one ask around the mid price.

Written against Hummingbot 2.x's documented script API (StrategyV2Base). The quotes are refreshed every
`refresh_seconds`; between refreshes they stay open, which is what the proofs check (placed, then
cancelled by Hummingbot's own stop on SIGTERM).
"""

import os
from decimal import Decimal

from hummingbot.connector.connector_base import ConnectorBase
from hummingbot.core.data_type.common import MarketDict, OrderType, PriceType, TradeType
from hummingbot.core.data_type.order_candidate import OrderCandidate
from hummingbot.strategy.strategy_v2_base import StrategyV2Base, StrategyV2ConfigBase
from pydantic import Field


class BothostPMMConfig(StrategyV2ConfigBase):
    script_file_name: str = os.path.basename(__file__)
    exchange: str = Field("binance")
    trading_pair: str = Field("BTC-USDT")
    order_amount: Decimal = Field(Decimal("0.001"))
    spread: Decimal = Field(Decimal("0.01"))
    refresh_seconds: int = Field(3600)

    def update_markets(self, markets: MarketDict) -> MarketDict:
        markets[self.exchange] = markets.get(self.exchange, set()) | {self.trading_pair}
        return markets


class BothostPMM(StrategyV2Base):
    next_refresh = 0

    def __init__(self, connectors: dict[str, ConnectorBase], config: BothostPMMConfig):
        super().__init__(connectors, config)
        self.config = config

    def on_tick(self):
        if self.current_timestamp < self.next_refresh:
            return
        self.next_refresh = self.current_timestamp + self.config.refresh_seconds
        exchange, pair = self.config.exchange, self.config.trading_pair
        for order in self.get_active_orders(connector_name=exchange):
            self.cancel(exchange, order.trading_pair, order.client_order_id)
        mid = self.connectors[exchange].get_price_by_type(pair, PriceType.MidPrice)
        quotes = [
            OrderCandidate(pair, True, OrderType.LIMIT, side, self.config.order_amount, price)
            for side, price in (
                (TradeType.BUY, mid * (Decimal(1) - self.config.spread)),
                (TradeType.SELL, mid * (Decimal(1) + self.config.spread)),
            )
        ]
        for quote in self.connectors[exchange].budget_checker.adjust_candidates(quotes, all_or_none=True):
            place = self.buy if quote.order_side == TradeType.BUY else self.sell
            place(exchange, pair, quote.amount, quote.order_type, quote.price)
