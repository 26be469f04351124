@notifications @email
Feature: Templated email through SES
  The service renders the seed's templates (ORDER_CONFIRMATION, PASSWORD_RESET) with Jinja2, an
  autoescaped HTML part and a plain-text part, and sends them with SES SendEmail from the verified
  sender. The AWS simulator (moto) keeps what was sent, so each email is read back from it. A template
  whose required variables are missing is refused before anything is sent.

  Background:
    Given the notifications lab is running

  @happy_path
  Scenario: An order confirmation email is rendered, sent and read back from the AWS simulator
    When I send a "ORDER_CONFIRMATION" email to "success+{nonce}@simulator.amazonses.com" with the variables:
      """
      {"customerName": "Ada <Lovelace>", "orderNumber": "ord-{nonce}",
       "orderItems": [{"name": "T-shirt, medium", "quantity": 2, "price": "39.98 USD"},
                      {"name": "Mug", "quantity": 1, "price": "8.50 USD"}],
       "orderTotal": "48.48 USD"}
      """
    Then the response status is 201
    And the response satisfies the contract "api/notifications/notification"
    And the response field "provider" is "ses"
    And the response field "status" is "ACCEPTED"
    And the AWS simulator sent 1 email to "success+{nonce}@simulator.amazonses.com"
    And that email came from "no-reply@genai-demo.example" with the subject "Order Confirmation - Order #ord-{nonce}"
    And its text part contains "- T-shirt, medium x 2: 39.98 USD"
    And its HTML part contains "Ada &lt;Lovelace&gt;"
    And its SES message id is the response field "message_id"

  Scenario: A password reset email carries the link in both parts
    When I send a "PASSWORD_RESET" email to "success+{nonce}@simulator.amazonses.com" with the variables:
      """
      {"customerName": "Ada", "resetLink": "https://shop.example/reset/{nonce}", "expiryTime": "in 30 minutes"}
      """
    Then the response status is 201
    And that email came from "no-reply@genai-demo.example" with the subject "Password Reset Request"
    And its text part contains "https://shop.example/reset/{nonce}"
    And its HTML part contains "href=\"https://shop.example/reset/{nonce}\""

  @validation
  Scenario: A missing variable is rejected and nothing is sent
    When I send a "ORDER_CONFIRMATION" email to "success+{nonce}@simulator.amazonses.com" with the variables:
      """
      {"customerName": "Ada"}
      """
    Then the response status is 422
    And the problem type is "email-variables-invalid"
    And the problem names the field "variables.orderNumber" with code "missing"
    And the problem names the field "variables.orderItems" with code "missing"
    And the AWS simulator sent 0 emails to "success+{nonce}@simulator.amazonses.com"

  @validation
  Scenario: An unknown template type is rejected
    When I send a "WELCOME" email to "success+{nonce}@simulator.amazonses.com" with the variables:
      """
      {}
      """
    Then the response status is 422
    And the problem type is "unknown-email-template"
    And the problem names the field "type" with code "unknown"
