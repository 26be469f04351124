"""Stateful fakes of the providers the reference service calls (Stripe, PayPal, Twilio, logistics, AWS
through moto), all built on :mod:`simulators.kernel`. ``simulators.registry.PROVIDERS`` lists them;
``genai-demo sim <provider>`` serves one."""
