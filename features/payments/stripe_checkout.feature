@payments @stripe
Feature: Paying an order with Stripe
  The service creates a PaymentIntent per payment attempt (idempotency key from the order and the
  attempt), gives the client what Stripe.js needs, and moves the order when Stripe's signed webhooks
  arrive. The Stripe simulator plays Stripe; the service runs as a real process.

  Background:
    Given the lab is running with the Stripe simulator
    And a new order of 2599 "USD"

  @happy_path
  Scenario: A card payment confirmed on the server succeeds
    When I pay the order with Stripe using "pm_card_visa"
    Then the response status is 201
    And the response field "status" is "SUCCEEDED"
    And the order becomes "PAID"
    And Stripe delivered "payment_intent.succeeded" for the payment and the service applied it
    And the service's requests to Stripe satisfy their contracts

  @happy_path
  Scenario: The customer confirms with Stripe.js and the webhook pays the order
    When I pay the order with Stripe
    Then the response status is 201
    And the response field "status" is "REQUIRES_ACTION"
    And the response field "publishable_key" is "pk_test_genaidemo0000000000000000"
    And the order is "PENDING_PAYMENT"
    When the customer confirms the payment on Stripe with "pm_card_visa"
    Then the order becomes "PAID"
    And the payment becomes "SUCCEEDED"

  Scenario Outline: A declined card shows the customer the seed's message
    When I pay the order with Stripe using "<payment method>"
    Then the response status is 402
    And the problem type is "payment-declined"
    And the response field "code" is "<code>"
    And the problem detail mentions "<message>"
    And the order becomes "PAYMENT_FAILED"
    And the payment becomes "FAILED"

    Examples:
      | payment method                                 | code               | message                                                    |
      | pm_card_visa_chargeDeclined                    | CARD_DECLINED      | Your card was declined, please try another payment method |
      | pm_card_visa_chargeDeclinedInsufficientFunds   | INSUFFICIENT_FUNDS | Insufficient funds, please check your account              |
      | pm_card_visa_chargeDeclinedLostCard            | CARD_DECLINED      | Your card was declined, please try another payment method |
      | pm_card_visa_chargeDeclinedStolenCard          | CARD_DECLINED      | Your card was declined, please try another payment method |
      | pm_card_chargeDeclinedExpiredCard              | EXPIRED_CARD       | Card has expired, please use a valid card                  |
      | pm_card_chargeDeclinedIncorrectCvc             | PAYMENT_ERROR      | Payment processing issue, please contact customer service  |
      | pm_card_chargeDeclinedProcessingError          | PAYMENT_ERROR      | Payment processing issue, please contact customer service  |
      | pm_card_visa_chargeDeclinedVelocityLimitExceeded | CARD_DECLINED    | Your card was declined, please try another payment method |

  Scenario: After a decline the customer pays with another card in a new attempt
    When I pay the order with Stripe using "pm_card_visa_chargeDeclined"
    Then the response status is 402
    When I pay the order with Stripe using "pm_card_visa"
    Then the response status is 201
    And the response field "attempt" is 2
    And the order becomes "PAID"

  Scenario: 3-D Secure completed
    When I pay the order with Stripe using "pm_card_authenticationRequired"
    Then the response status is 201
    And the response field "status" is "REQUIRES_ACTION"
    And the response field "next_action.type" is "use_stripe_sdk"
    When the customer completes 3-D Secure
    Then the order becomes "PAID"

  Scenario: 3-D Secure failed
    When I pay the order with Stripe using "pm_card_authenticationRequired"
    And the customer fails 3-D Secure
    Then the order becomes "PAYMENT_FAILED"
    And the payment becomes "FAILED"
