@payments @paypal
Feature: Paying an order with PayPal
  The service creates a PayPal order (PayPal-Request-Id from the order and the attempt), sends the buyer
  to approve it, captures it, and moves the order when PayPal's signed webhooks arrive. The PayPal
  simulator plays PayPal (OAuth, Orders v2, webhooks signed SHA256withRSA); the service runs as a process.

  Background:
    Given the lab is running with the PayPal simulator
    And a new order of 2500 "EUR"
    And I pay the order with PayPal

  @happy_path
  Scenario: The buyer approves and the service captures
    Then the response status is 201
    And the response field "status" is "REQUIRES_ACTION"
    When the buyer approves the PayPal order
    Then the payment becomes "AUTHORIZED"
    When I capture the PayPal payment
    Then the response status is 200
    And the response field "status" is "SUCCEEDED"
    And the order becomes "PAID"
    And PayPal delivered "PAYMENT.CAPTURE.COMPLETED" and the service acknowledged it
    And the service's requests to PayPal satisfy their contracts

  Scenario: Capturing before the buyer approved is refused and changes nothing
    When I capture the PayPal payment
    Then the response status is 409
    And the problem type is "payment-conflict"
    And the problem detail mentions "not approved"
    And the order is "PENDING_PAYMENT"
    And the payment becomes "REQUIRES_ACTION"

  Scenario: Capturing twice captures once
    When the buyer approves the PayPal order
    And I capture the PayPal payment
    And I capture the PayPal payment
    Then the response status is 200
    And the response field "status" is "SUCCEEDED"
    And PayPal received 1 capture for the order

  Scenario: A decline through PayPal's negative testing
    When the buyer approves the PayPal order
    And I capture the PayPal payment with the mock response "INSTRUMENT_DECLINED"
    Then the response status is 402
    And the problem type is "payment-declined"
    And the response field "code" is "INSTRUMENT_DECLINED"
    And the problem detail mentions "declined"
    And the order becomes "PAYMENT_FAILED"

  Scenario: A buyer whose funding is declined at capture
    When the buyer "buyer-declined@example.com" approves the PayPal order
    And I capture the PayPal payment
    Then the response status is 402
    And the response field "code" is "INSTRUMENT_DECLINED"
    And the order becomes "PAYMENT_FAILED"
    And PayPal delivered "PAYMENT.CAPTURE.DENIED" and the service acknowledged it

  Scenario: The access token expires in the middle of the checkout
    Given PayPal's clock moves 9 hours forward
    When the buyer approves the PayPal order
    And I capture the PayPal payment
    Then the response status is 200
    And the order becomes "PAID"
    And PayPal refused an expired token and the service fetched a new one

  Scenario Outline: A forged, tampered or replayed delivery is rejected and changes nothing
    When the buyer approves the PayPal order
    And I capture the PayPal payment
    And a <kind> "PAYMENT.CAPTURE.REFUNDED" delivery for the payment arrives
    Then the response status is 400
    And the problem type is "webhook-signature-invalid"
    And the order is "PAID"

    Examples:
      | kind     |
      | forged   |
      | tampered |
      | replayed |

  Scenario: A duplicate webhook is acknowledged and applied once
    When the buyer approves the PayPal order
    And PayPal redelivers "CHECKOUT.ORDER.APPROVED" for the payment
    Then the service answered the redelivery with "duplicate"
    And the payment becomes "AUTHORIZED"
