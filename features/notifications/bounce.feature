@notifications @email
Feature: SES feedback suppresses bouncing and complaining addresses
  SES reports bounces and complaints to an SNS topic, and SNS POSTs them, signed, to
  /api/v1/webhooks/ses. The lab wires that path once the service is up (as genai-demo up does), and the
  service confirms the subscription itself. The SES mailbox simulator's addresses produce the feedback: bounce@ a hard
  bounce, complaint@ a complaint. A suppressed address is never emailed again, and a forged SNS message
  changes nothing.

  Background:
    Given the notifications lab is running
    And the service is subscribed to SES feedback

  @happy_path
  Scenario: A bounce suppresses the address
    When I send a "PASSWORD_RESET" email to "bounce+{nonce}@simulator.amazonses.com"
    Then the response status is 201
    And the notification becomes "BOUNCED"
    When I send a "PASSWORD_RESET" email to "bounce+{nonce}@simulator.amazonses.com"
    Then the response status is 422
    And the problem type is "email-recipient-suppressed"
    And the response field "reason" is "bounce"
    And the AWS simulator sent 1 email to "bounce+{nonce}@simulator.amazonses.com"

  Scenario: A complaint suppresses the address after it was delivered
    When I send a "PASSWORD_RESET" email to "complaint+{nonce}@simulator.amazonses.com"
    Then the response status is 201
    And the notification becomes "COMPLAINED"
    And the notification's reports include "delivery, complaint"
    When I send a "PASSWORD_RESET" email to "complaint+{nonce}@simulator.amazonses.com"
    Then the problem type is "email-recipient-suppressed"
    And the response field "reason" is "complaint"

  Scenario: A delivered email is recorded as delivered and nothing is suppressed
    When I send a "PASSWORD_RESET" email to "success+{nonce}@simulator.amazonses.com"
    Then the notification becomes "DELIVERED"
    When I send a "PASSWORD_RESET" email to "success+{nonce}@simulator.amazonses.com"
    Then the response status is 201

  @security
  Scenario: A forged SNS bounce is rejected and changes nothing
    When a forger posts an SNS bounce for "victim+{nonce}@example.com" signed with their own key
    Then the response status is 400
    And the problem type is "webhook-signature-invalid"
    When I send a "PASSWORD_RESET" email to "victim+{nonce}@example.com"
    Then the response status is 201
