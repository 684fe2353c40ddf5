"""What a model call cost, from a price table of well-known OpenAI models.

Prices are USD per 1M tokens (input, output), list prices for standard (non-batch, uncached) processing. A model
name matches its entry exactly or by prefix at a `-` boundary, longest first, so dated snapshots
(`gpt-4o-mini-2024-07-18`) price like their family while `gpt-4o` never matches `gpt-4`. A provider prefix such as
`openai/` is ignored. Unknown models cost 0.0 and say so (`known=False`) rather than guessing: the caller shows
"cost unknown" instead of a wrong number. Cached-input discounts are not modelled (usage does not carry them).
"""

from __future__ import annotations

from .base import Usage

# USD per 1M tokens: (input, output).
PRICES: dict[str, tuple[float, float]] = {
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-4.5-preview": (75.00, 150.00),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-2024-05-13": (5.00, 15.00),
    "gpt-4o-mini": (0.15, 0.60),
    "chatgpt-4o-latest": (5.00, 15.00),
    "gpt-4-turbo": (10.00, 30.00),
    "gpt-4-1106-preview": (10.00, 30.00),
    "gpt-4-0125-preview": (10.00, 30.00),
    "gpt-4": (30.00, 60.00),
    "gpt-4-32k": (60.00, 120.00),
    "gpt-3.5-turbo": (0.50, 1.50),
    "gpt-3.5-turbo-instruct": (1.50, 2.00),
    "o1": (15.00, 60.00),
    "o1-preview": (15.00, 60.00),
    "o1-mini": (1.10, 4.40),
    "o1-pro": (150.00, 600.00),
    "o3": (2.00, 8.00),
    "o3-mini": (1.10, 4.40),
    "o3-pro": (20.00, 80.00),
    "o4-mini": (1.10, 4.40),
}

_BY_LENGTH = sorted(PRICES, key=len, reverse=True)
_memo: dict[str, tuple[float, float] | None] = {}


def price_of(model: str) -> tuple[float, float] | None:
    """(input, output) USD per 1M tokens for `model`, or None if it is not a well-known model."""
    if model in _memo:
        return _memo[model]
    name = model.lower().rsplit("/", 1)[-1]
    found = PRICES.get(name)
    if found is None:
        for key in _BY_LENGTH:
            if name.startswith(key) and name[len(key)] == "-":
                found = PRICES[key]
                break
    if len(_memo) < 10_000:  # model names come from configs, but bound it anyway
        _memo[model] = found
    return found


def cost_of(model: str, usage: Usage) -> tuple[float, bool]:
    """(USD cost, known) of one call. Unknown models cost 0.0 with known=False."""
    price = price_of(model)
    if price is None:
        return 0.0, False
    return (usage.prompt_tokens * price[0] + usage.completion_tokens * price[1]) / 1_000_000, True


def cost_from_price(price: tuple[float, float], usage: Usage) -> float:
    """Cost with an llm_config `price` override: AG2's `[prompt, completion]` USD per 1K tokens."""
    return (usage.prompt_tokens * price[0] + usage.completion_tokens * price[1]) / 1000
