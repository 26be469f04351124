@logistics @webhooks
Feature: Tracking a delivery to the customer's door
  The carrier's signed tracking webhooks move the delivery forward (never backwards) and the order with it;
  the customer gets one SMS per status, however often the carrier repeats itself. A missed webhook is
  repaired by `genai-demo reconcile logistics`. In this lab each carrier step takes 60 simulated seconds, so
  only the scenario's clock moves the parcel. A jump past several steps sends their webhooks at once and,
  as with a real carrier, in no promised order, so the happy path moves one step at a time.

  Background:
    Given the shipping lab is running
    And a paid order shipping to "179 N Harbor Dr, Redondo Beach, CA 90277"
    And I bought the cheapest quote

  @happy_path
  Scenario: The parcel travels to DELIVERED on the simulated clock and the customer hears of each step
    When the carrier's clock moves on 60 seconds
    Then the delivery becomes "IN_TRANSIT"
    And the order becomes "SHIPPED"
    When the carrier's clock moves on 60 seconds
    Then the delivery becomes "OUT_FOR_DELIVERY"
    When the carrier's clock moves on 60 seconds
    Then the delivery becomes "DELIVERED"
    And the order becomes "DELIVERED"
    And the delivery's history is "PENDING, LABEL_CREATED, IN_TRANSIT, OUT_FOR_DELIVERY, DELIVERED"
    And the customer got 1 SMS saying "has shipped"
    And the customer got 1 SMS saying "out for delivery"
    And the customer got 1 SMS saying "has been delivered"
    And the number of "delivery.status_changed" events published for "{delivery_id}" is 4

  @security
  Scenario: Forged, replayed, duplicate and out-of-order webhooks change nothing twice
    When a forged tracking webhook says the parcel was "delivered"
    Then the response status is 400
    And the problem type is "webhook-signature-invalid"
    And the delivery is "LABEL_CREATED"
    Given the carrier delivers every webhook twice
    When the carrier's clock moves on 60 seconds
    Then the delivery becomes "IN_TRANSIT"
    When the carrier's last tracking event is replayed
    Then the response status is 200
    And the response field "outcome" is "duplicate"
    When a signed tracking webhook that arrived late says the parcel is "pre_transit"
    Then the response status is 200
    And the response field "outcome" is "stale"
    And the delivery is "IN_TRANSIT"
    And the customer got 1 SMS saying "has shipped"

  @resilience
  Scenario: A missed webhook is repaired by reconcile
    Given the carrier cannot reach the service's webhook
    When the carrier's clock moves on 60 seconds
    Then the delivery is "LABEL_CREATED"
    When I run "genai-demo reconcile logistics"
    Then the delivery is "IN_TRANSIT"
    And the order is "SHIPPED"
    And the customer got 1 SMS saying "has shipped"
