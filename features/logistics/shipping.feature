@logistics
Feature: Shipping a paid order with the carrier
  The service verifies addresses, quotes rates and buys labels from the carrier (EasyPost, played by the
  carrier simulator through the official SDK), one label per order, and cancels a label before pickup.
  The service runs as a process; the order is paid with the Stripe simulator.

  Background:
    Given the shipping lab is running
    And a paid order shipping to "179 N Harbor Dr, Redondo Beach, CA 90277"

  @happy_path
  Scenario: Quote and buy the cheapest rate
    When I ask for shipping quotes
    Then the response status is 200
    And the response satisfies the contract "api/deliveries/quote-list"
    And the quotes come from "USPS, UPS, FedEx", cheapest first
    When I buy the cheapest quote
    Then the response status is 201
    And the response satisfies the contract "api/deliveries/delivery"
    And the response field "status" is "LABEL_CREATED"
    And the carrier sold exactly 1 label for the order
    When I buy the cheapest quote
    Then the response status is 200
    And the response field "id" is the remembered "delivery_id"
    And the carrier sold exactly 1 label for the order
    And the service's requests to the carrier satisfy their contracts

  @validation
  Scenario: An address the carrier does not know is refused per field
    When I validate the address "000 unknown street, Not A City, CA 00001"
    Then the response status is 422
    And the problem type is "address-invalid"
    And the problem names the field "street1" with code "E.ADDRESS.NOT_FOUND"
    When I validate the address "179 N Harbor Drive, Redondo Beach, CA 90277"
    Then the response status is 200
    And the response field "address.street1" is "179 N HARBOR DR"

  Scenario: Cancelling before pickup refunds the label
    Given I bought the cheapest quote
    When I cancel the delivery because "changed my mind"
    Then the response status is 200
    And the response field "status" is "CANCELLED"
    And the carrier refunds the label
    And the order is "PAID"

  Scenario: Cancelling after pickup is refused by the carrier
    Given I bought the cheapest quote
    And the carrier picks the parcel up without telling the service
    When I cancel the delivery because "too late"
    Then the response status is 409
    And the problem type is "delivery-not-cancellable"
    And the delivery is "LABEL_CREATED"
