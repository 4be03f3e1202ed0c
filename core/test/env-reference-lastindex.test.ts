import { expect } from 'chai';
import { hasEnvReference, unsetEnvReferences } from '@payhost/core';

// hasEnvReference, unsetEnvReferences and the resolver once shared one global regex: a test() left
// its lastIndex set, and matchAll (which copies it) then started mid-value and missed a reference.
describe('config: ${NAME} references are found whatever was tested before', () => {
  it('hasEnvReference on a longer value, then unsetEnvReferences still finds every reference', () => {
    const values = { secret_key: '${PX_SECRET}', note: 'a ${PX_A} and ${PX_B}' };
    const expected = [
      { field: 'secret_key', variable: 'PX_SECRET' },
      { field: 'note', variable: 'PX_A' },
      { field: 'note', variable: 'PX_B' },
    ];
    expect(unsetEnvReferences(values, {})).to.deep.equal(expected);
    expect(hasEnvReference('auto=${PX_AUTO_CAPTURE}')).to.equal(true);
    expect(unsetEnvReferences(values, {})).to.deep.equal(expected);
  });

  it('hasEnvReference gives the same answer called twice in a row on the same value', () => {
    expect([hasEnvReference('${PX_ONE}'), hasEnvReference('${PX_ONE}'), hasEnvReference('x ${PX_TWO}')]).to.deep.equal([true, true, true]);
    expect(hasEnvReference('no reference')).to.equal(false);
  });
});
