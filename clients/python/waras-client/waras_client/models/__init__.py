"""Contains all the data models used in inputs/outputs"""

from .about import About
from .accepted import Accepted
from .actor import Actor
from .api_key import ApiKey
from .audit_entry import AuditEntry
from .audit_list import AuditList
from .blocked import Blocked
from .blocked_contact import BlockedContact
from .blocklist import Blocklist
from .call import Call
from .call_list import CallList
from .campaign import Campaign
from .campaign_list import CampaignList
from .change_participants import ChangeParticipants
from .channel import Channel
from .channel_list import ChannelList
from .channel_post import ChannelPost
from .chat import Chat
from .chat_action_body import ChatActionBody
from .chat_kind import ChatKind
from .chat_list import ChatList
from .check_contacts import CheckContacts
from .cluster_view import ClusterView
from .contact import Contact
from .contact_card import ContactCard
from .contact_check import ContactCheck
from .contact_checks import ContactChecks
from .contact_input import ContactInput
from .contact_list import ContactList
from .content import Content
from .counts import Counts
from .create_campaign import CreateCampaign
from .create_campaign_message_type_0 import CreateCampaignMessageType0
from .create_group import CreateGroup
from .create_key import CreateKey
from .create_rule import CreateRule
from .create_session import CreateSession
from .create_session_config_type_0 import CreateSessionConfigType0
from .create_sink import CreateSink
from .create_template import CreateTemplate
from .create_tenant import CreateTenant
from .create_webhook import CreateWebhook
from .create_webhook_headers_type_0 import CreateWebhookHeadersType0
from .created_group import CreatedGroup
from .created_key import CreatedKey
from .daily_window import DailyWindow
from .delivery import Delivery
from .delivery_list import DeliveryList
from .edit import Edit
from .edit_input import EditInput
from .envelope import Envelope
from .envelope_data import EnvelopeData
from .event_list import EventList
from .group import Group
from .group_list import GroupList
from .health import Health
from .instance import Instance
from .invite import Invite
from .join_group import JoinGroup
from .joined import Joined
from .key_list import KeyList
from .left import Left
from .location import Location
from .location_input import LocationInput
from .me import Me
from .media_info import MediaInfo
from .media_input import MediaInput
from .message import Message
from .message_kind import MessageKind
from .message_list import MessageList
from .message_ref import MessageRef
from .messages_act_action import MessagesActAction
from .messages_act_response_200 import MessagesActResponse200
from .messages_delete_response_200 import MessagesDeleteResponse200
from .new_channel import NewChannel
from .new_status import NewStatus
from .own_profile import OwnProfile
from .pacing import Pacing
from .pair_code_answer import PairCodeAnswer
from .pair_code_request import PairCodeRequest
from .participant import Participant
from .participant_action import ParticipantAction
from .participant_result import ParticipantResult
from .participant_results import ParticipantResults
from .picture import Picture
from .picture_set import PictureSet
from .poll import Poll
from .poll_input import PollInput
from .poll_vote import PollVote
from .posted_status import PostedStatus
from .posted_to_channel import PostedToChannel
from .presence_answer import PresenceAnswer
from .presence_request import PresenceRequest
from .presence_state import PresenceState
from .problem import Problem
from .qr_code import QrCode
from .quota_usage import QuotaUsage
from .quotas import Quotas
from .reaction import Reaction
from .reaction_input import ReactionInput
from .ready import Ready
from .recipient import Recipient
from .recipient_input import RecipientInput
from .recipient_input_variables_type_0 import RecipientInputVariablesType0
from .recipient_list import RecipientList
from .recipient_variables_type_0 import RecipientVariablesType0
from .reschedule import Reschedule
from .revoke import Revoke
from .revoke_input import RevokeInput
from .rotated_secret import RotatedSecret
from .rule import Rule
from .rule_action import RuleAction
from .rule_action_variables_type_0 import RuleActionVariablesType0
from .rule_list import RuleList
from .rule_match import RuleMatch
from .scope_name import ScopeName
from .send_message import SendMessage
from .send_message_variables_type_0 import SendMessageVariablesType0
from .session import Session
from .session_config import SessionConfig
from .session_list import SessionList
from .sink import Sink
from .sink_list import SinkList
from .status_file import StatusFile
from .template import Template
from .template_list import TemplateList
from .tenant import Tenant
from .tenant_change import TenantChange
from .tenant_list import TenantList
from .tenant_standing import TenantStanding
from .ticket import Ticket
from .update_group import UpdateGroup
from .update_profile import UpdateProfile
from .update_rule import UpdateRule
from .update_session import UpdateSession
from .update_session_config_type_0 import UpdateSessionConfigType0
from .update_sink import UpdateSink
from .update_template import UpdateTemplate
from .update_webhook import UpdateWebhook
from .update_webhook_headers_type_0 import UpdateWebhookHeadersType0
from .usage_day import UsageDay
from .usage_day_messages_in_by_type import UsageDayMessagesInByType
from .usage_day_messages_out_by_type import UsageDayMessagesOutByType
from .usage_report import UsageReport
from .webhook import Webhook
from .webhook_headers import WebhookHeaders
from .webhook_list import WebhookList

__all__ = (
    "About",
    "Accepted",
    "Actor",
    "ApiKey",
    "AuditEntry",
    "AuditList",
    "Blocked",
    "BlockedContact",
    "Blocklist",
    "Call",
    "CallList",
    "Campaign",
    "CampaignList",
    "ChangeParticipants",
    "Channel",
    "ChannelList",
    "ChannelPost",
    "Chat",
    "ChatActionBody",
    "ChatKind",
    "ChatList",
    "CheckContacts",
    "ClusterView",
    "Contact",
    "ContactCard",
    "ContactCheck",
    "ContactChecks",
    "ContactInput",
    "ContactList",
    "Content",
    "Counts",
    "CreateCampaign",
    "CreateCampaignMessageType0",
    "CreatedGroup",
    "CreatedKey",
    "CreateGroup",
    "CreateKey",
    "CreateRule",
    "CreateSession",
    "CreateSessionConfigType0",
    "CreateSink",
    "CreateTemplate",
    "CreateTenant",
    "CreateWebhook",
    "CreateWebhookHeadersType0",
    "DailyWindow",
    "Delivery",
    "DeliveryList",
    "Edit",
    "EditInput",
    "Envelope",
    "EnvelopeData",
    "EventList",
    "Group",
    "GroupList",
    "Health",
    "Instance",
    "Invite",
    "Joined",
    "JoinGroup",
    "KeyList",
    "Left",
    "Location",
    "LocationInput",
    "Me",
    "MediaInfo",
    "MediaInput",
    "Message",
    "MessageKind",
    "MessageList",
    "MessageRef",
    "MessagesActAction",
    "MessagesActResponse200",
    "MessagesDeleteResponse200",
    "NewChannel",
    "NewStatus",
    "OwnProfile",
    "Pacing",
    "PairCodeAnswer",
    "PairCodeRequest",
    "Participant",
    "ParticipantAction",
    "ParticipantResult",
    "ParticipantResults",
    "Picture",
    "PictureSet",
    "Poll",
    "PollInput",
    "PollVote",
    "PostedStatus",
    "PostedToChannel",
    "PresenceAnswer",
    "PresenceRequest",
    "PresenceState",
    "Problem",
    "QrCode",
    "Quotas",
    "QuotaUsage",
    "Reaction",
    "ReactionInput",
    "Ready",
    "Recipient",
    "RecipientInput",
    "RecipientInputVariablesType0",
    "RecipientList",
    "RecipientVariablesType0",
    "Reschedule",
    "Revoke",
    "RevokeInput",
    "RotatedSecret",
    "Rule",
    "RuleAction",
    "RuleActionVariablesType0",
    "RuleList",
    "RuleMatch",
    "ScopeName",
    "SendMessage",
    "SendMessageVariablesType0",
    "Session",
    "SessionConfig",
    "SessionList",
    "Sink",
    "SinkList",
    "StatusFile",
    "Template",
    "TemplateList",
    "Tenant",
    "TenantChange",
    "TenantList",
    "TenantStanding",
    "Ticket",
    "UpdateGroup",
    "UpdateProfile",
    "UpdateRule",
    "UpdateSession",
    "UpdateSessionConfigType0",
    "UpdateSink",
    "UpdateTemplate",
    "UpdateWebhook",
    "UpdateWebhookHeadersType0",
    "UsageDay",
    "UsageDayMessagesInByType",
    "UsageDayMessagesOutByType",
    "UsageReport",
    "Webhook",
    "WebhookHeaders",
    "WebhookList",
)
