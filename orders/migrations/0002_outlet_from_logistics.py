# Courier outlets move from logistics to orders (parcels point at them): the model moves, its table
# `logistics_outlet` and every row stay where they are (state only; no SQL runs).

import django.db.models.deletion
from django.db import migrations, models


def content_type_to_orders(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="orders", model="outlet").exists():
        ContentType.objects.filter(app_label="logistics", model="outlet").update(app_label="orders")


def content_type_to_logistics(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="logistics", model="outlet").exists():
        ContentType.objects.filter(app_label="orders", model="outlet").update(app_label="logistics")


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('logistics', '0002_autointerceptrule_claim_claimevent_interception_and_more'),
        ('orders', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Outlet',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.SlugField(max_length=64, unique=True, verbose_name='code')),
                        ('courier', models.CharField(choices=[('yto', 'YTO Express (圆通)'), ('jt', 'J&T Express (极兔)')], max_length=16, verbose_name='courier')),
                        ('name', models.CharField(max_length=128, verbose_name='name')),
                        ('e_waybill', models.BooleanField(default=False, verbose_name='Douyin e-waybill')),
                    ],
                    options={
                        'verbose_name': 'courier outlet',
                        'verbose_name_plural': 'courier outlets',
                        'db_table': 'logistics_outlet',
                        'ordering': ['code'],
                    },
                ),
                migrations.AlterField(
                    model_name='parcel',
                    name='outlet',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='parcels', to='orders.outlet', verbose_name='outlet'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_to_orders, content_type_to_logistics),
    ]
