"""The messages now live in notifications.Notification: drop this table after its rows were copied there."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0002_copy_payout_and_buyer_notifications'),
        ('aftersales', '0005_fewer_ticket_indexes'),
    ]

    operations = [
        migrations.DeleteModel(
            name='BuyerNotification',
        ),
    ]
