import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SkiffError } from '../../core/errors.js';
import { checkReservationInput, release, renumber, reserve, type Reservation } from './reservations.js';
import { parseCidr, type Subnet } from './subnet.js';

const net = parseCidr('10.5.6.0/24') as Subnet;
const mac = (n: number): string => `52:54:00:00:00:${n.toString(16).padStart(2, '0')}`;

describe('reserve and release', () => {
  it('hands out the lowest free guest address and gives the same one on every later call', () => {
    let list: Reservation[] = [];
    ({ reservations: list } = reserve(list, net, 'a', mac(1)));
    ({ reservations: list } = reserve(list, net, 'b', mac(2)));
    assert.deepEqual(list, [
      { name: 'a', mac: mac(1), ipv4: '10.5.6.2' },
      { name: 'b', mac: mac(2), ipv4: '10.5.6.3' },
    ]);
    const again = reserve(list, net, 'a', mac(1));
    assert.equal(again.reservation.ipv4, '10.5.6.2');
    assert.deepEqual(again.reservations, list);
  });

  it('keeps the address when an instance comes back with another MAC', () => {
    const { reservations } = reserve([{ name: 'a', mac: mac(1), ipv4: '10.5.6.9' }], net, 'a', mac(7));
    assert.deepEqual(reservations, [{ name: 'a', mac: mac(7), ipv4: '10.5.6.9' }]);
  });

  it('release frees the address for the next reservation; releasing twice is harmless', () => {
    let list = reserve(reserve([], net, 'a', mac(1)).reservations, net, 'b', mac(2)).reservations;
    list = release(list, 'a');
    assert.deepEqual(release(list, 'a'), list);
    assert.equal(reserve(list, net, 'c', mac(3)).reservation.ipv4, '10.5.6.2');
  });

  it('refuses a MAC another instance holds', () => {
    const list = reserve([], net, 'a', mac(1)).reservations;
    assert.throws(
      () => reserve(list, net, 'b', mac(1)),
      (e: unknown) => e instanceof SkiffError && e.code === 'conflict' && /"a"/.test(e.message),
    );
  });

  it('a full subnet is an error: a /28 has 13 guest addresses', () => {
    const small = parseCidr('10.9.9.16/28') as Subnet;
    let list: Reservation[] = [];
    for (let i = 0; i < 13; i++) list = reserve(list, small, `g${i}`, mac(i + 1)).reservations;
    assert.equal(list.at(-1)?.ipv4, '10.9.9.30');
    assert.throws(
      () => reserve(list, small, 'late', mac(99)),
      (e: unknown) => e instanceof SkiffError && e.code === 'conflict' && /is full/.test(e.message),
    );
    assert.equal(reserve(release(list, 'g4'), small, 'late', mac(99)).reservation.ipv4, '10.9.9.22');
  });
});

describe('checkReservationInput', () => {
  it('lowercases the MAC and refuses bad names and MACs, naming the field', () => {
    assert.deepEqual(checkReservationInput('web-1', '52:54:00:AB:CD:EF'), {
      name: 'web-1',
      mac: '52:54:00:ab:cd:ef',
    });
    for (const [name, m, field] of [
      ['bad name', mac(1), 'name'],
      ['x\ny', mac(1), 'name'],
      ['-a', mac(1), 'name'],
      ['a', '52:54:00:ab:cd', 'mac'],
      ['a', '01:00:5e:00:00:01', 'mac'],
      ['a', '52-54-00-ab-cd-ef', 'mac'],
    ]) {
      assert.throws(
        () => checkReservationInput(name as string, m as string),
        (e: unknown) =>
          e instanceof SkiffError && e.code === 'invalid-argument' && e.message.startsWith(`${field}: `),
      );
    }
  });
});

describe('renumber', () => {
  it('keeps host numbers in the new subnet and re-allocates what does not fit', () => {
    const list = [
      { name: 'a', mac: mac(1), ipv4: '10.5.6.2' },
      { name: 'b', mac: mac(2), ipv4: '10.5.6.40' },
    ];
    const to = parseCidr('10.8.0.0/26') as Subnet;
    const { reservations, dropped } = renumber(list, net, to);
    assert.deepEqual(reservations, [
      { name: 'a', mac: mac(1), ipv4: '10.8.0.2' },
      { name: 'b', mac: mac(2), ipv4: '10.8.0.40' },
    ]);
    assert.deepEqual(dropped, []);
    const tiny = renumber(list, net, parseCidr('10.8.0.0/28') as Subnet);
    assert.deepEqual(
      tiny.reservations.map((r) => r.ipv4),
      ['10.8.0.2', '10.8.0.3'],
    );
  });
});
