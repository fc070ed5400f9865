"""Copy the messages of `payouts.Notification` and `aftersales.BuyerNotification` into the one table
(their own migrations drop both tables after this one). Backwards, the copies go back where they came from."""

from django.db import migrations

BATCH = 2000


def _content_type(apps, app_label: str, model: str):
    ContentType = apps.get_model("contenttypes", "ContentType")
    return ContentType.objects.get_or_create(app_label=app_label, model=model)[0]


def forwards(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    PayoutNotification = apps.get_model("payouts", "Notification")
    BuyerNotification = apps.get_model("aftersales", "BuyerNotification")
    payout_type = _content_type(apps, "payouts", "payout")
    ticket_type = _content_type(apps, "aftersales", "ticket")
    payout_rows = PayoutNotification.objects.select_related("payout").order_by("id").iterator(chunk_size=BATCH)
    Notification.objects.bulk_create(
        (Notification(shop_id=n.shop_id, recipient_id=n.recipient_id, order_id=n.payout.order_id,
                      about_type=payout_type, about_id=n.payout_id, channel=n.channel, kind=n.kind, title=n.title,
                      body=n.body, created_at=n.created_at) for n in payout_rows),
        batch_size=BATCH,
    )
    buyer_rows = BuyerNotification.objects.select_related("order").order_by("id").iterator(chunk_size=BATCH)
    Notification.objects.bulk_create(
        (Notification(shop_id=n.order.shop_id, recipient_id=n.buyer_id, order_id=n.order_id,
                      about_type=ticket_type if n.ticket_id else None, about_id=n.ticket_id, channel=n.channel,
                      kind=n.kind, title=n.title, body=n.body, created_at=n.created_at) for n in buyer_rows),
        batch_size=BATCH,
    )


def backwards(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    PayoutNotification = apps.get_model("payouts", "Notification")
    BuyerNotification = apps.get_model("aftersales", "BuyerNotification")
    payout_type = _content_type(apps, "payouts", "payout")
    ticket_type = _content_type(apps, "aftersales", "ticket")
    rows = Notification.objects.order_by("id")
    PayoutNotification.objects.bulk_create(
        (PayoutNotification(shop_id=n.shop_id, recipient_id=n.recipient_id, payout_id=n.about_id, channel=n.channel,
                            kind=n.kind, title=n.title, body=n.body, created_at=n.created_at)
         for n in rows.filter(about_type=payout_type).iterator(chunk_size=BATCH)),
        batch_size=BATCH,
    )
    BuyerNotification.objects.bulk_create(
        (BuyerNotification(buyer_id=n.recipient_id, order_id=n.order_id,
                           ticket_id=n.about_id if n.about_type_id == ticket_type.pk else None, channel=n.channel,
                           kind=n.kind, title=n.title, body=n.body, created_at=n.created_at)
         for n in rows.exclude(about_type=payout_type).filter(recipient__isnull=False, order__isnull=False,
                                                             channel__in=("station", "push"))
         .iterator(chunk_size=BATCH)),
        batch_size=BATCH,
    )
    rows.delete()


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0001_initial"),
        ("payouts", "0001_initial"),
        ("aftersales", "0005_fewer_ticket_indexes"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
