# Courier outlets moved from logistics to orders (orders/migrations/0002): the foreign key follows in the
# state; the column and its constraint already point at the same table `logistics_outlet`.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_default_profiles'),
        ('orders', '0002_outlet_from_logistics'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='user',
                    name='outlet',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='members', to='orders.outlet', verbose_name='outlet'),
                ),
            ],
            database_operations=[],
        ),
    ]
