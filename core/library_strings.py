"""Library strings whose own zh_Hans catalogs lack them (Django 5.2, django-simple-history 3.13).

Never imported: this module only keeps these msgids in locale/zh_Hans/LC_MESSAGES/django.po, whose
translations take precedence over the libraries' catalogs (LOCALE_PATHS). Without it,
`makemessages --no-obsolete` drops them. The JavaScript ones live in djangojs.po (no makemessages -d djangojs).
"""

from django.utils.translation import gettext_noop, ngettext_lazy

# django.contrib.admin
gettext_noop("Model name")  # admin/app_list.html (visually hidden column headers)
gettext_noop("Add link")
gettext_noop("Change or view list link")
gettext_noop("After you’ve created a user, you’ll be able to edit more user options.")
gettext_noop("Error:")  # page-title prefix on forms with errors
gettext_noop("Forgotten your login credentials?")
gettext_noop("In case you’ve forgotten, you are:")
# django.contrib.auth
ngettext_lazy(
    "This password is too short. It must contain at least %d character.",
    "This password is too short. It must contain at least %d characters.",
    "n",
)
# django
gettext_noop("%(model)s instance with %(field)s %(value)r is not a valid choice.")
# simple_history
gettext_noop("Changes")
ngettext_lazy("entry", "entries", "n")
gettext_noop("Deleted %(type_name)s")
