"""`{% load money %}{{ amount|money }}`: accounting.money.money_display in templates."""

from django import template

from accounting.money import money_display

register = template.Library()


@register.filter(name="money")
def money(value):
    return money_display(value)
