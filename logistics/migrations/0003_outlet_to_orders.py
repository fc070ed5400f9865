# Courier outlets moved to orders (orders/migrations/0002) with their table: the foreign keys follow and the
# model leaves this app's state. No SQL runs; every row stays.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_user_outlet_in_orders'),
        ('logistics', '0002_autointerceptrule_claim_claimevent_interception_and_more'),
        ('orders', '0002_outlet_from_logistics'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='interceptioncontract',
                    name='outlet',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='contracts', to='orders.outlet', verbose_name='outlet'),
                ),
                migrations.AlterField(
                    model_name='interception',
                    name='outlet',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='interceptions', to='orders.outlet', verbose_name='outlet'),
                ),
                migrations.DeleteModel(name='Outlet'),
            ],
            database_operations=[],
        ),
    ]
