"""The parameters each Stripe operation accepts (API 2023-10-16), as specs for
:mod:`simulators.stripe.validation` (each route of ``urls.API_ROUTES`` carries its own).

Top-level names follow Stripe's OpenAPI spec (2023-08-16, the payment-intents subset the tests load; they
check that every name here is one of the spec's for the paths it holds); operations outside that subset
(charges, disputes, payment methods, webhook endpoints) follow Stripe's API reference. Parameters that are
valid at Stripe but have no effect here (Connect transfers, mandates, Radar options) are accepted and ignored,
so only truly unknown names get ``parameter_unknown``.
"""

from __future__ import annotations

from collections.abc import Mapping

from simulators.stripe.validation import (
    ANY,
    BOOL,
    EXPAND,
    INT,
    METADATA,
    NSTR,
    STR,
    ListOf,
    Obj,
    Scalar,
    Spec,
    enum,
    needs,
    nullable_obj,
    obj,
)

Params = Mapping[str, Spec]

ADDRESS = nullable_obj(city=NSTR, country=NSTR, line1=NSTR, line2=NSTR, postal_code=NSTR, state=NSTR)
BILLING_DETAILS = obj(address=ADDRESS, email=NSTR, name=NSTR, phone=NSTR)
SHIPPING = nullable_obj(address=ADDRESS, carrier=NSTR, name=STR, phone=NSTR, tracking_number=NSTR)
CARD_DATA = obj(number=STR, exp_month=INT, exp_year=INT, cvc=STR, token=STR, networks=ANY)
_NO_FIELDS = "affirm afterpay_clearpay alipay bancontact blik cashapp customer_balance giropay grabpay "
_NO_FIELDS += "interac_present konbini link oxxo paynow paypal pix promptpay wechat_pay zip"
_EPS_BANKS = (
    "arzte_und_apotheker_bank austrian_anadi_bank_ag bank_austria bankhaus_carl_spangler "
    "bankhaus_schelhammer_und_schattera_ag bawag_psk_ag bks_bank_ag brull_kallmus_bank_ag "
    "btv_vier_lander_bank capital_bank_grawe_gruppe_ag deutsche_bank_ag dolomitenbank easybank_ag "
    "erste_bank_und_sparkassen hypo_alpeadriabank_international_ag hypo_bank_burgenland_aktiengesellschaft "
    "hypo_noe_lb_fur_niederosterreich_u_wien hypo_oberosterreich_salzburg_steiermark hypo_tirol_bank_ag "
    "hypo_vorarlberg_bank_ag marchfelder_bank oberbank_ag raiffeisen_bankengruppe_osterreich "
    "schoellerbank_ag sparda_bank_wien volksbank_gruppe volkskreditbank_ag vr_bank_braunau"
)
_IDEAL_BANKS = (
    "abn_amro asn_bank bunq handelsbanken ing knab moneyou n26 rabobank regiobank revolut sns_bank "
    "triodos_bank van_lanschot yoursafe"
)
# The sub-object of each payment method type, as the spec documents ``payment_method_data`` (the same on
# create, update and confirm; test_units checks every name, type, enum and required field against it).
# ``fpx[bank]`` and ``p24[bank]`` are plain strings: the spec marks their enums x-stripeBypassValidation, as
# it does ``type`` (Stripe accepts values newer than the spec). ``card`` is not in the public spec (raw card
# numbers need Stripe's PCI approval) but is what Stripe.js-less tests send, so it stays accepted.
PAYMENT_METHOD_TYPE_DATA: dict[str, Spec] = {
    **dict.fromkeys(_NO_FIELDS.split(), obj()),
    "acss_debit": needs(
        "account_number institution_number transit_number",
        account_number=STR,
        institution_number=STR,
        transit_number=STR,
    ),
    "au_becs_debit": needs("account_number bsb_number", account_number=STR, bsb_number=STR),
    "bacs_debit": obj(account_number=STR, sort_code=STR),
    "boleto": needs("tax_id", tax_id=STR),
    "eps": obj(bank=enum(*_EPS_BANKS.split())),
    "fpx": needs("bank", bank=STR),
    "ideal": obj(bank=enum(*_IDEAL_BANKS.split())),
    "klarna": obj(dob=needs("day month year", day=INT, month=INT, year=INT)),
    "p24": obj(bank=Scalar("str")),
    "sepa_debit": needs("iban", iban=STR),
    "sofort": needs("country", country=enum("AT", "BE", "DE", "ES", "IT", "NL")),
    "us_bank_account": obj(
        account_holder_type=enum("company", "individual"),
        account_number=STR,
        account_type=enum("checking", "savings"),
        financial_connections_account=STR,
        routing_number=STR,
    ),
}
PAYMENT_METHOD_DATA = Obj(
    {
        "type": STR,
        "card": CARD_DATA,
        "billing_details": BILLING_DETAILS,
        "metadata": METADATA,
        "allow_redisplay": ANY,
        "radar_options": obj(session=STR),
        **PAYMENT_METHOD_TYPE_DATA,
    },
    required=("type",),
)
CARD_OPTIONS = nullable_obj(
    capture_method=enum("manual", nullable=True),
    request_three_d_secure=enum("any", "automatic", "challenge_only"),
    setup_future_usage=enum("none", "off_session", "on_session", nullable=True),
    cvc_token=STR,
    installments=ANY,
    mandate_options=ANY,
    network=ANY,
    request_extended_authorization=ANY,
    request_incremental_authorization=enum("if_available", "never"),
    request_multicapture=ANY,
    request_overcapture=ANY,
    statement_descriptor_suffix_kana=ANY,
    statement_descriptor_suffix_kanji=ANY,
)
_OTHER_METHOD_OPTIONS = (
    "acss_debit affirm afterpay_clearpay alipay au_becs_debit bacs_debit bancontact blik boleto "
    "cashapp customer_balance eps fpx giropay grabpay ideal interac_present klarna konbini link oxxo p24 "
    "paynow "
    "paypal pix promptpay sepa_debit sofort us_bank_account wechat_pay zip"
).split()
PAYMENT_METHOD_OPTIONS = obj(
    **dict.fromkeys(_OTHER_METHOD_OPTIONS, ANY),
    card=CARD_OPTIONS,
    card_present=nullable_obj(
        request_extended_authorization=BOOL, request_incremental_authorization_support=BOOL
    ),
)
AUTOMATIC_PAYMENT_METHODS = obj(enabled=BOOL, allow_redirects=enum("always", "never"))
DESCRIPTOR = Scalar("str", nullable=True, max_length=22)
DESCRIPTION = Scalar("str", nullable=True, max_length=1000)
CREATED = ANY  # an integer or {gt, gte, lt, lte}: parsed by the list helper
OFF_SESSION = ANY  # true/false or "one_off"/"recurring"
LIST: dict[str, Spec] = {"ending_before": STR, "expand": EXPAND, "limit": INT, "starting_after": STR}

# -- PaymentIntents ------------------------------------------------------------------------------------------
_CONFIRM_ONLY: Params = {
    "error_on_requires_action": BOOL,
    "mandate": STR,
    "mandate_data": ANY,
    "off_session": OFF_SESSION,
    "radar_options": ANY,
    "return_url": STR,
    "use_stripe_sdk": BOOL,
}
CREATE_PAYMENT_INTENT: Params = {
    "amount": INT,
    "application_fee_amount": INT,
    "automatic_payment_methods": AUTOMATIC_PAYMENT_METHODS,
    "capture_method": enum("automatic", "automatic_async", "manual"),
    "confirm": BOOL,
    "confirmation_method": enum("automatic", "manual"),
    "currency": STR,
    "customer": STR,
    "description": DESCRIPTION,
    "expand": EXPAND,
    "metadata": METADATA,
    "on_behalf_of": STR,
    "payment_method": STR,
    "payment_method_data": PAYMENT_METHOD_DATA,
    "payment_method_options": PAYMENT_METHOD_OPTIONS,
    "payment_method_types": ListOf(STR),
    "receipt_email": NSTR,
    "setup_future_usage": enum("off_session", "on_session"),
    "shipping": SHIPPING,
    "statement_descriptor": DESCRIPTOR,
    "statement_descriptor_suffix": DESCRIPTOR,
    "transfer_data": ANY,
    "transfer_group": STR,
    **_CONFIRM_ONLY,
}
UPDATE_PAYMENT_INTENT: Params = {
    "amount": INT,
    "application_fee_amount": ANY,
    "capture_method": enum("automatic", "automatic_async", "manual"),
    "currency": STR,
    "customer": STR,
    "description": DESCRIPTION,
    "expand": EXPAND,
    "metadata": METADATA,
    "payment_method": STR,
    "payment_method_data": PAYMENT_METHOD_DATA,
    "payment_method_options": PAYMENT_METHOD_OPTIONS,
    "payment_method_types": ListOf(STR),
    "receipt_email": NSTR,
    "setup_future_usage": enum("off_session", "on_session", nullable=True),
    "shipping": SHIPPING,
    "statement_descriptor": DESCRIPTOR,
    "statement_descriptor_suffix": DESCRIPTOR,
    "transfer_data": ANY,
    "transfer_group": STR,
}
CONFIRM_PAYMENT_INTENT: Params = {
    "capture_method": enum("automatic", "automatic_async", "manual"),
    "client_secret": STR,
    "expand": EXPAND,
    "payment_method": STR,
    "payment_method_data": PAYMENT_METHOD_DATA,
    "payment_method_options": PAYMENT_METHOD_OPTIONS,
    "payment_method_types": ListOf(STR),
    "receipt_email": NSTR,
    "setup_future_usage": enum("off_session", "on_session", nullable=True),
    "shipping": SHIPPING,
    **_CONFIRM_ONLY,
}
CAPTURE_PAYMENT_INTENT: Params = {
    "amount_to_capture": INT,
    "application_fee_amount": ANY,
    "expand": EXPAND,
    "metadata": METADATA,
    "statement_descriptor": DESCRIPTOR,
    "statement_descriptor_suffix": DESCRIPTOR,
    "transfer_data": ANY,
}
CANCEL_PAYMENT_INTENT: Params = {
    "cancellation_reason": enum("abandoned", "duplicate", "fraudulent", "requested_by_customer"),
    "expand": EXPAND,
}
INCREMENT_AUTHORIZATION: Params = {
    "amount": INT,
    "application_fee_amount": INT,
    "description": Scalar("str", max_length=1000),
    "expand": EXPAND,
    "metadata": METADATA,
    "statement_descriptor": Scalar("str", max_length=22),
    "transfer_data": obj(amount=INT),
}
APPLY_CUSTOMER_BALANCE: Params = {"amount": INT, "currency": STR, "expand": EXPAND}
VERIFY_MICRODEPOSITS: Params = {
    "amounts": ListOf(INT),
    "client_secret": STR,
    "descriptor_code": STR,
    "expand": EXPAND,
}
RETRIEVE_PAYMENT_INTENT: Params = {"client_secret": STR, "expand": EXPAND}
LIST_PAYMENT_INTENTS: Params = {"created": CREATED, "customer": STR, **LIST}
SEARCH_PAYMENT_INTENTS: Params = {"query": STR, "limit": INT, "page": STR, "expand": EXPAND}

# -- Charges, refunds, disputes ------------------------------------------------------------------------------
RETRIEVE: Params = {"expand": EXPAND}
LIST_CHARGES: Params = {
    "created": CREATED,
    "customer": STR,
    "payment_intent": STR,
    "transfer_group": STR,
    **LIST,
}
UPDATE_CHARGE: Params = {
    "customer": STR,
    "description": DESCRIPTION,
    "expand": EXPAND,
    "fraud_details": ANY,
    "metadata": METADATA,
    "receipt_email": NSTR,
    "shipping": SHIPPING,
    "transfer_group": STR,
}
CREATE_REFUND: Params = {
    "amount": INT,
    "charge": STR,
    "currency": STR,
    "customer": STR,
    "expand": EXPAND,
    "instructions_email": STR,
    "metadata": METADATA,
    "origin": enum("customer_balance"),
    "payment_intent": STR,
    "reason": enum("duplicate", "fraudulent", "requested_by_customer"),
    "refund_application_fee": BOOL,
    "reverse_transfer": BOOL,
}
UPDATE_REFUND: Params = {"expand": EXPAND, "metadata": METADATA}
LIST_REFUNDS: Params = {"charge": STR, "created": CREATED, "payment_intent": STR, **LIST}
_EVIDENCE_FIELDS = (
    "access_activity_log billing_address cancellation_policy cancellation_policy_disclosure "
    "cancellation_rebuttal customer_communication customer_email_address customer_name customer_purchase_ip "
    "customer_signature duplicate_charge_documentation duplicate_charge_explanation duplicate_charge_id "
    "product_description receipt refund_policy refund_policy_disclosure refund_refusal_explanation "
    "service_date "
    "service_documentation shipping_address shipping_carrier shipping_date shipping_documentation "
    "shipping_tracking_number uncategorized_file uncategorized_text"
).split()
EVIDENCE_FIELDS: tuple[str, ...] = tuple(_EVIDENCE_FIELDS)
UPDATE_DISPUTE: Params = {
    "evidence": obj(**dict.fromkeys(_EVIDENCE_FIELDS, NSTR)),
    "expand": EXPAND,
    "metadata": METADATA,
    "submit": BOOL,
}
CLOSE_DISPUTE: Params = {"expand": EXPAND}
LIST_DISPUTES: Params = {"charge": STR, "created": CREATED, "payment_intent": STR, **LIST}

# -- PaymentMethods ------------------------------------------------------------------------------------------
CREATE_PAYMENT_METHOD: Params = {
    "type": STR,
    "card": CARD_DATA,
    "billing_details": BILLING_DETAILS,
    "customer": STR,
    "expand": EXPAND,
    "metadata": METADATA,
    "payment_method": STR,
    "allow_redisplay": ANY,
    "radar_options": ANY,
}

# -- Events and webhook endpoints ----------------------------------------------------------------------------
LIST_EVENTS: Params = {
    "created": CREATED,
    "delivery_success": BOOL,
    "type": STR,
    "types": ListOf(STR),
    **LIST,
}
CREATE_WEBHOOK_ENDPOINT: Params = {
    "api_version": STR,
    "connect": BOOL,
    "description": NSTR,
    "enabled_events": ListOf(STR),
    "expand": EXPAND,
    "metadata": METADATA,
    "url": STR,
}
UPDATE_WEBHOOK_ENDPOINT: Params = {
    "description": NSTR,
    "disabled": BOOL,
    "enabled_events": ListOf(STR),
    "expand": EXPAND,
    "metadata": METADATA,
    "url": STR,
}
LIST_WEBHOOK_ENDPOINTS: Params = dict(LIST)
NONE: Params = {}
