"""Open311 GeoReport v2 as strangers use it (issue 21, point 7).

`georeport` (PyPI) reads: services, a definition, requests by id and by
filters, in JSON and XML. The posts are made as `three` 0.8.0 and `open311`
1.1 make them (both are Python 2 only, so their calls are replayed here
with `requests`): three posts a form, or a multipart form when it sends a
photo, with `address_string` and the name split in two; open311 puts
`jurisdiction_id` and `api_key` in the query string and the rest in an
urlencoded body. Usage: clients.py BASE_URL API_KEY JURISDICTION
"""
import base64
import sys

import requests
import xmltodict
from georeport import GeoReport

base, key, jurisdiction = sys.argv[1], sys.argv[2], sys.argv[3]
root = base.rstrip('/') + '/open311/v2'
PNG = base64.b64decode(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==')


def first_request(fmt, response):
    assert response.status_code in (200, 201), (response.status_code, response.text)
    if fmt == 'json':
        assert response.headers['content-type'] == 'application/json; charset=utf-8', response.headers
        return response.json()[0]['service_request_id']
    assert response.headers['content-type'] == 'text/xml; charset=utf-8', response.headers
    return xmltodict.parse(response.content)['service_requests']['request']['service_request_id']


def as_list(x):
    return x if isinstance(x, list) else [x]


checked = 0
for fmt in ('json', 'xml'):
    g = GeoReport(root_address=root, jurisdiction=jurisdiction, api_key=key, output_format=fmt)
    services = as_list(g.get_service_list())
    codes = [s['service_code'] for s in services]
    assert 'fee' in codes and 'attitude' in codes, codes
    definition = g.get_service_definition('fee')
    assert (definition.get('service_code') or definition.get('service_definition', {}).get('service_code')) == 'fee', definition

    # three: t.post('fee', address=…, name='Zach Williams', phone=…, description=…)
    three = {
        'service_code': 'fee', 'jurisdiction_id': jurisdiction, 'api_key': key,
        'address_string': '武宿收费站 出口 2 号车道', 'first_name': 'Zach', 'last_name': 'Williams',
        'phone': '555-5555', 'description': '多收了通行费。\n请核实。', 'lat': '37.8612', 'long': '112.5530',
    }
    by_three = first_request(fmt, requests.post(f'{root}/requests.{fmt}', data=three))
    # three with media=open('photo.png', 'rb'): a multipart form.
    with_photo = first_request(fmt, requests.post(
        f'{root}/requests.{fmt}', data=dict(three, description='附照片'),
        files={'media': ('photo.png', PNG, 'image/png')}))
    # open311: post_service_request(service_code=…, description=…, address_string=…)
    by_open311 = first_request(fmt, requests.post(
        f'{root}/requests.{fmt}', params={'jurisdiction_id': jurisdiction, 'api_key': key},
        data={'service_code': 'attitude', 'description': '态度生硬', 'address_string': '小店收费站'},
        headers={'Content-Type': 'application/x-www-form-urlencoded'}))

    # Read back by id, and by filters, as georeport reads.
    one = g.get_service_request(by_three)
    if fmt == 'xml' and isinstance(one, list):
        one = one[0]
    assert one['service_request_id'] == by_three, one
    assert one['address'] == '武宿收费站 出口 2 号车道', one
    assert float(one['lat']) == 37.8612 and float(one['long']) == 112.553, one
    assert one['status'] == 'open', one
    for rid in (with_photo, by_open311):
        got = g.get_service_request(rid)
        got = got[0] if isinstance(got, list) else got
        assert got['service_request_id'] == rid, got
    listed = as_list(g.get_service_requests(service_code='fee,attitude', status='open'))
    ids = {r['service_request_id'] for r in listed}
    assert {by_three, with_photo, by_open311} <= ids, (ids, by_three)
    several = as_list(g.get_service_requests(service_request_id=f'{by_three},{by_open311}'))
    assert {r['service_request_id'] for r in several} == {by_three, by_open311}, several
    if fmt == 'json':  # georeport cannot read an empty XML list (its own bug)
        assert g.get_service_requests(service_code='no-such-service') == []
    checked += 1

print(f'open311 clients: {checked} formats, every flow passed')
