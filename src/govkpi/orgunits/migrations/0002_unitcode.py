# Dated alternative codes of units (the old provinces' statistics-office codes); filled by orgunits.sync.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orgunits', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='UnitCode',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(db_index=True, max_length=32, verbose_name='mã')),
                ('scheme', models.CharField(choices=[('gso', 'Mã thống kê (Tổng cục Thống kê)')], default='gso', max_length=16, verbose_name='hệ mã')),
                ('valid_from', models.DateField(blank=True, null=True, verbose_name='hiệu lực từ')),
                ('valid_to', models.DateField(blank=True, null=True, verbose_name='hiệu lực đến')),
                ('source', models.CharField(blank=True, max_length=255, verbose_name='nguồn dữ liệu')),
                ('unit', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='codes', to='orgunits.orgunit')),
            ],
            options={
                'verbose_name': 'mã khác của đơn vị',
                'verbose_name_plural': 'mã khác của đơn vị',
                'ordering': ['scheme', 'code', 'valid_from'],
                'constraints': [models.UniqueConstraint(fields=('unit', 'scheme', 'code'), name='unitcode_unique'), models.CheckConstraint(condition=models.Q(('valid_from__isnull', True), ('valid_to__isnull', True), ('valid_from__lte', models.F('valid_to')), _connector='OR'), name='unitcode_span_ordered')],
            },
        ),
    ]
