"""The price table: well-known models by name or dated snapshot; unknown models cost 0 and say so."""

from __future__ import annotations

import pytest

from studio.runtime.models import Usage, cost_of
from studio.runtime.models.pricing import price_of

MILLION = Usage(prompt_tokens=1_000_000, completion_tokens=1_000_000, total_tokens=2_000_000)


@pytest.mark.parametrize(
    ("model", "input_price", "output_price"),
    [
        ("gpt-4o", 2.50, 10.00),
        ("gpt-4o-2024-08-06", 2.50, 10.00),
        ("gpt-4o-2024-05-13", 5.00, 15.00),
        ("gpt-4o-mini-2024-07-18", 0.15, 0.60),
        ("gpt-4.1-nano", 0.10, 0.40),
        ("gpt-4-turbo-2024-04-09", 10.00, 30.00),
        ("gpt-4-0613", 30.00, 60.00),
        ("gpt-3.5-turbo-0125", 0.50, 1.50),
        ("o1-mini-2024-09-12", 1.10, 4.40),
        ("o3-mini", 1.10, 4.40),
        ("openai/gpt-4o-mini", 0.15, 0.60),
    ],
)
def test_well_known_models_are_priced_per_million_tokens(model, input_price, output_price):
    cost, known = cost_of(model, MILLION)
    assert known is True
    assert cost == pytest.approx(input_price + output_price)


@pytest.mark.parametrize("model", ["llama3:8b", "gpt-4oo", "my-gpt-4o", "scripted", ""])
def test_unknown_models_cost_nothing_and_say_so(model):
    assert cost_of(model, MILLION) == (0.0, False)


def test_a_family_prefix_never_swallows_a_longer_family():
    assert price_of("gpt-4o-mini") != price_of("gpt-4o")
    assert price_of("gpt-4o") != price_of("gpt-4")
    assert price_of("gpt-4.1-mini-2025-04-14") == price_of("gpt-4.1-mini")


def test_cost_scales_with_tokens():
    assert cost_of("gpt-4o-mini", Usage(2000, 1000, 3000))[0] == pytest.approx((2000 * 0.15 + 1000 * 0.60) / 1e6)
