"""Guards for every page list of the operators' console, whichever app registered its model.

A hand-edited filter in a list's query string (``?dialing_at__year=99999999999999``, a month past 9999-12, a
malformed ``__regex``) makes Python's dates overflow or the database refuse the query, which Django's admin
answers with a 500. With the guard the list answers as Django does for any other bad filter: a redirect to
the unfiltered list with ``?e=1``. This module is loaded last (``outbound`` is the last installed app), so
it covers the lists of ``campaigns``, ``dialer``, ``reporting``, ``django.contrib.auth`` and ``axes`` alike.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db import DataError, transaction
from django.http import HttpRequest
from unfold.admin import ModelAdmin

from outbound import campaign_page  # noqa: F401  (registers the campaign pages before the guard wraps them)


class GuardedChangelist(admin.ModelAdmin):  # type: ignore[type-arg]
    """A list whose filters cannot be turned into a 500 by the query string."""

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        """Build the list (its filters, count and page) and turn an impossible filter into a bad-lookup error.

        In a savepoint, so that a query the database refused does not break the request's transaction.
        """
        try:
            with transaction.atomic():
                return super().get_changelist_instance(request)
        except (OverflowError, ValueError, DataError) as exc:
            raise IncorrectLookupParameters(exc) from exc


def guard_every_changelist(site: admin.AdminSite) -> None:
    """Re-register every model admin of ``site`` with the guard in front of its own class.

    Admins written for the stock admin (users, groups, sign-in attempts) also take the console's theme's class,
    so that their forms and lists are drawn like every other page.
    """
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, GuardedChangelist):
            continue
        original = type(model_admin)
        themed: tuple[type, ...] = () if issubclass(original, ModelAdmin) else (ModelAdmin,)
        site.unregister(model)
        site.register(
            model, type(original.__name__, (GuardedChangelist, original, *themed), {"__module__": original.__module__})
        )


guard_every_changelist(admin.site)
