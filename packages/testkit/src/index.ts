// Each fake processor is its own entry point: import from '@payhost/testkit/stripe',
// '@payhost/testkit/razorpay' or '@payhost/testkit/flutterwave'. The conformance
// suite is '@payhost/testkit/conformance', and is re-exported here.
export * from './conformance/index.js';
