"""The messages now live in notifications.Notification: drop this table after its rows were copied there."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0002_copy_payout_and_buyer_notifications'),
        ('payouts', '0001_initial'),
    ]

    operations = [
        migrations.DeleteModel(
            name='Notification',
        ),
    ]
