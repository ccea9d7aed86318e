import { FakeDriver } from './fake-vm.js';
import { vmDriverContract } from './vm-driver-contract.js';

const onFake = (driver: FakeDriver) => async () => ({
  driver,
  baseImage: '/images/base.img',
  cloudInit: { 'meta-data': 'instance-id: i\n', 'user-data': '#cloud-config\n' },
  diskBytes: 2 ** 30,
  grownDiskBytes: 2 * 2 ** 30,
  memoryBytes: 2 ** 29,
  cleanup: async () => undefined,
});

vmDriverContract('fake', onFake(new FakeDriver()));
const without = new FakeDriver();
without.virtiofs = false;
vmDriverContract('fake without virtiofs (9p from a boot only)', onFake(without));
vmDriverContract(
  'fake without suspend or resize',
  onFake(
    new FakeDriver({
      suspend: false,
      resize: false,
      snapshots: false,
      mounts: false,
      extraNics: false,
      forward: false,
    }),
  ),
);
