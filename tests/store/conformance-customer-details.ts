import { expect } from 'chai';
import type { AddressData, LedgerStore } from '@payhost/core';
import { at, makePayment, makeTransaction, uid } from './fixtures.js';

/** Every AddressData field set, so a column or field dropped on the way shows. */
export function fullAddress(prefix: string): AddressData {
  return {
    firstName: `${prefix} Ada`,
    lastName: 'Lovelace',
    companyName: 'Analytical Engines Ltd',
    streetAddress1: '12 St James’s Square',
    streetAddress2: 'Flat 3',
    city: 'London',
    cityArea: 'Westminster',
    postalCode: 'SW1Y 4JH',
    country: 'GB',
    countryArea: '',
    phone: '+44 20 7946 0000',
  };
}

/**
 * A payment's billing and shipping addresses and customer IP address (migration 9's columns), in the
 * LedgerStore conformance suite: kept by every write of the payment and read back as written.
 */
export function describeCustomerDetails(getStore: () => LedgerStore): void {
  let store: LedgerStore;
  before(() => {
    store = getStore();
  });

  describe('billing, shipping and customer IP address', () => {
    const details = () => ({ billing: fullAddress('b'), shipping: fullAddress('s'), customerIpAddress: '2001:db8::42' });

    it('inserts and reads them back; an update of the payment keeps them; a payment without them reads null', async () => {
      const payment = makePayment(details());
      await store.transaction((tx) => tx.insertPayment(payment));
      const read = await store.getPayment(payment.id);
      expect(read).to.deep.include(details());
      expect((await store.transaction((tx) => tx.getPayment(payment.id, { forUpdate: true })))!).to.deep.include(details());
      expect(await store.transaction((tx) => tx.updatePayment({ ...read!, chargeStatus: 'fully-charged', version: 2 }, 1))).to.equal(true);
      expect(await store.getPayment(payment.id)).to.deep.include({ ...details(), chargeStatus: 'fully-charged' });

      const bare = makePayment();
      await store.transaction((tx) => tx.insertPayment(bare));
      expect(await store.getPayment(bare.id)).to.deep.include({ billing: null, shipping: null, customerIpAddress: null });
    });

    it('claimAndCreate and settle write them too', async () => {
      const payment = makePayment({ ...details(), billing: fullAddress('claimed') });
      const pending = makeTransaction(payment.id);
      if (store.claimAndCreate) expect(await store.claimAndCreate({ key: uid('key'), requestHash: 'h', now: at(1) }, payment, pending)).to.deep.equal({ claimed: true });
      else await store.transaction(async (tx) => {
        await tx.insertPayment(payment);
        await tx.insertTransaction(pending);
      });
      expect(await store.getPayment(payment.id)).to.deep.include({ ...details(), billing: fullAddress('claimed') });
      await store.transaction(async (tx) => {
        const locked = (await tx.getPayment(payment.id, { forUpdate: true }))!;
        const next = { ...locked, chargeStatus: 'fully-charged' as const, version: 2 };
        const applied = { ...pending, state: 'applied' as const, isSuccess: true };
        if (tx.settle) await tx.settle({ transaction: applied, payment: { next, expectedVersion: 1 } });
        else {
          await tx.updateTransaction(applied);
          expect(await tx.updatePayment(next, 1)).to.equal(true);
        }
      });
      expect(await store.getPayment(payment.id)).to.deep.include({ ...details(), billing: fullAddress('claimed'), chargeStatus: 'fully-charged', version: 2 });
    });
  });
}
