@payments @stripe @resilience
Feature: Retries, outages, refunds and disputes with Stripe
  The service retries what the seed's retry policy allows (at most 3 attempts, connection errors, 409,
  429 and 5xx) with the same idempotency key, and never retries a decline.

  Background:
    Given the lab is running with the Stripe simulator
    And a new order of 4200 "USD"

  Scenario: Rate limited once, then the retry succeeds with the same idempotency key
    Given Stripe rate-limits the next 1 "POST" request to "/v1/payment_intents"
    When I pay the order with Stripe using "pm_card_visa"
    Then the response status is 201
    And the order becomes "PAID"
    And Stripe received 2 "POST" requests to "/v1/payment_intents" with one Idempotency-Key

  Scenario: Stripe is down: a clean error after exactly 3 attempts, then the same attempt resumes
    Given Stripe answers 503 to every "POST" request to "/v1/payment_intents"
    When I pay the order with Stripe using "pm_card_visa"
    Then the response status is 503
    And the problem type is "provider-unavailable"
    And the response field "code" is "PAYMENT_ERROR"
    And the response header "Retry-After" is "5"
    And Stripe received 3 "POST" requests to "/v1/payment_intents" with one Idempotency-Key
    And the order is "PENDING_PAYMENT"
    When Stripe recovers
    And I pay the order with Stripe using "pm_card_visa"
    Then the response status is 201
    And the response field "attempt" is 1
    And the order becomes "PAID"
    And Stripe received 4 "POST" requests to "/v1/payment_intents" with one Idempotency-Key

  Scenario: A decline is never retried
    When I pay the order with Stripe using "pm_card_visa_chargeDeclined"
    Then the response status is 402
    And Stripe received 1 "POST" requests to "/v1/payment_intents" with one Idempotency-Key

  Scenario: Cancelling a paid order refunds it through Stripe
    When I pay the order with Stripe using "pm_card_visa"
    Then the order becomes "PAID"
    When I cancel the order
    Then the response status is 200
    And Stripe receives a refund request for the payment
    And the order becomes "REFUNDED"
    And the payment becomes "REFUNDED"

  Scenario: A card that will be disputed
    When I pay the order with Stripe using "pm_card_createDispute"
    Then the order becomes "DISPUTED"
    And the payment becomes "DISPUTED"

  Scenario: Stripe opens a dispute on a paid order
    When I pay the order with Stripe using "pm_card_visa"
    Then the order becomes "PAID"
    When Stripe opens a "fraudulent" dispute on the payment's charge
    Then the order becomes "DISPUTED"
