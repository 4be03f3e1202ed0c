// Each fake processor is its own entry point: import from '@payhost/testkit/stripe',
// '@payhost/testkit/razorpay' or '@payhost/testkit/flutterwave'.
export {};
