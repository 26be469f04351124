@payments @stripe @webhooks
Feature: Stripe webhooks are verified, deduplicated and never move an order backwards
  POST /api/v1/webhooks/stripe accepts only Stripe-Signature v1 HMACs made with the secret that
  `genai-demo up` registered, within 300 s; every event is applied once, after which it is acknowledged.

  Background:
    Given the lab is running with the Stripe simulator
    And a new order of 1500 "EUR"
    And the order has a Stripe payment waiting for the customer

  Scenario Outline: A bad signature is rejected and changes nothing
    When a "payment_intent.succeeded" webhook for the payment arrives with a <signature> signature
    Then the response status is 400
    And the problem type is "webhook-signature-invalid"
    And the order is "PENDING_PAYMENT"

    Examples:
      | signature |
      | tampered  |
      | stale     |
      | missing   |
      | foreign   |

  Scenario: A correctly signed webhook is applied once and acknowledged twice
    When a "payment_intent.succeeded" webhook for the payment arrives with a valid signature
    Then the response status is 200
    And the response field "outcome" is "applied"
    When the same webhook arrives again
    Then the response status is 200
    And the response field "outcome" is "duplicate"
    And the order is "PAID"

  Scenario: Stripe delivers every event twice and the service applies each once
    Given Stripe duplicates every webhook delivery
    When the customer confirms the payment on Stripe with "pm_card_visa"
    Then the order becomes "PAID"
    And Stripe delivered "payment_intent.succeeded" for the payment at least twice
    And the service applied "payment_intent.succeeded" for the payment exactly once

  Scenario: A late failure after success does not move the order back
    When the customer confirms the payment on Stripe with "pm_card_visa"
    Then the order becomes "PAID"
    When a "payment_intent.payment_failed" webhook for the payment arrives with a valid signature
    Then the response status is 200
    And the response field "outcome" is "stale"
    And the order is "PAID"
