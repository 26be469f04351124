@notifications @sms
Feature: Twilio delivery status callbacks
  Twilio POSTs each status change of an SMS to the StatusCallback the service gave it, signed with
  X-Twilio-Signature over SERVICE_PUBLIC_URL and the form. The service records every report in the
  notification's history, moves its status forward only, rejects a forged callback with 403, and (with
  SMS_RETRY_UNDELIVERED_ON_OTHER_PROVIDER, on in this lab) resends an SMS Twilio could not deliver for
  a transient reason through SNS.

  Background:
    Given the notifications lab is running
    And a fresh phone number
    And SNS is down

  @happy_path
  Scenario: Delivery status callbacks are recorded
    When I send the SMS "Your order has shipped" to the phone number
    And the Twilio simulator's clock moves on 10 seconds
    Then the notification becomes "DELIVERED"
    And the notification's reports include "queued, sending, sent, delivered"
    And the notification satisfies the contract "api/notifications/notification"

  Scenario: An undelivered SMS records Twilio's error code
    When I send the SMS "hello" to "+15005553006"
    And the Twilio simulator's clock moves on 10 seconds
    Then the notification becomes "UNDELIVERED"
    And the notification's field "error_code" is "30006"

  @security
  Scenario: A forged callback is rejected and changes nothing
    When I send the SMS "hello" to the phone number
    And a forger posts a "delivered" status callback for the SMS with a wrong signature
    Then the response status is 403
    And the problem type is "webhook-forbidden"
    And the notification's field "status" is "ACCEPTED"

  @security
  Scenario: A callback signed for another URL is rejected
    When I send the SMS "hello" to the phone number
    And a forger posts a "delivered" status callback for the SMS signed for "http://attacker.example/api/v1/webhooks/twilio/status"
    Then the response status is 403
    And the problem type is "webhook-forbidden"

  Scenario: An SMS Twilio could not deliver for a transient reason is resent through SNS
    When I send the SMS "hello" to "+15005553003"
    And SNS is back up
    And the Twilio simulator's clock moves on 10 seconds
    Then the notification becomes "UNDELIVERED"
    And SNS took a resend to "+15005553003"
