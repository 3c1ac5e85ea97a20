"""Every text a participant reads, in English and Urdu."""

from __future__ import annotations

import html
from typing import Any

from ..bank import tr

# Every text a participant reads, in English and Urdu.
T = {
    "join_title": {"en": "Join the session", "ur": "سیشن میں شامل ہوں"},
    "code": {"en": "Join code", "ur": "جوائن کوڈ"},
    "code_help": {"en": "The code on the coach's screen, e.g. K7QM4P", "ur": "کوچ کی اسکرین پر لکھا کوڈ، مثلاً K7QM4P"},
    "continue": {"en": "Continue", "ur": "آگے"},
    "code_or_card": {"en": "Join code, or the code on your card", "ur": "جوائن کوڈ، یا آپ کے کارڈ کا کوڈ"},
    "have_card": {"en": "I have a card with my own code", "ur": "میرے پاس اپنے کوڈ والا کارڈ ہے"},
    "card_code": {"en": "The code on your card, e.g. K7QM-4PXA", "ur": "آپ کے کارڈ کا کوڈ، مثلاً K7QM-4PXA"},
    "use_card": {"en": "Use my card", "ur": "میرا کارڈ استعمال کریں"},
    "card_title": {"en": "Is this you?", "ur": "کیا یہ آپ ہیں؟"},
    "card_yes": {"en": "Yes, this is me", "ur": "جی ہاں، یہ میں ہوں"},
    "card_no": {"en": "This is not me", "ur": "یہ میں نہیں ہوں"},
    "card_hint": {"en": "Your trainer listed you before the workshop. Your answers are kept under this name.",
                  "ur": "آپ کے ٹرینر نے ورکشاپ سے پہلے آپ کا نام درج کیا تھا۔ آپ کے جواب اسی نام سے محفوظ ہوں گے۔"},
    "name": {"en": "Your name (optional)", "ur": "آپ کا نام (اختیاری)"},
    "name_help": {"en": "Leave empty to stay anonymous", "ur": "گمنام رہنے کے لیے خالی چھوڑ دیں"},
    "sex": {"en": "Sex", "ur": "جنس"},
    "organisation": {"en": "Organisation", "ur": "ادارہ"},
    "rank": {"en": "Rank or position", "ur": "عہدہ"},
    "province": {"en": "Province", "ur": "صوبہ"},
    "optional": {"en": "(optional)", "ur": "(اختیاری)"},
    "required": {"en": "(required)", "ur": "(لازمی)"},
    "female": {"en": "Female", "ur": "خاتون"},
    "male": {"en": "Male", "ur": "مرد"},
    "no_say": {"en": "Prefer not to say", "ur": "بتانا نہیں چاہتے"},
    "consent": {
        "en": "What is stored: your answers, the name you give (or none) and the profile answers you choose "
              "to give. Who sees them: the coaches of this workshop. Reports show group figures only. "
              "Everything stays on the coach's laptop.",
        "ur": "کیا محفوظ ہوتا ہے: آپ کے جوابات، آپ کا دیا ہوا نام (یا کوئی نہیں) اور پروفائل کے وہ جوابات جو آپ دینا "
              "چاہیں۔ کون دیکھتا ہے: اس ورکشاپ کے کوچ۔ رپورٹوں میں صرف مجموعی اعداد ہوتے ہیں۔ سب کچھ کوچ کے لیپ ٹاپ پر رہتا ہے۔",
    },
    "agree": {"en": "I understand and agree", "ur": "میں سمجھ گیا/گئی اور متفق ہوں"},
    "join": {"en": "Join", "ur": "شامل ہوں"},
    "must_agree": {"en": "Please tick “I understand and agree” to join.", "ur": "شامل ہونے کے لیے “میں متفق ہوں” پر نشان لگائیں۔"},
    "welcome": {"en": "Welcome", "ur": "خوش آمدید"},
    "waiting": {"en": "Nothing is open yet. This page moves on by itself when the coach opens an activity.",
                "ur": "ابھی کچھ شروع نہیں ہوا۔ کوچ کے سرگرمی شروع کرتے ہی یہ صفحہ خود آگے بڑھ جائے گا۔"},
    "question_of": {"en": "Question {i} of {n}", "ur": "سوال {i} از {n}"},
    "back": {"en": "Back", "ur": "پیچھے"},
    "next": {"en": "Next", "ur": "اگلا"},
    "review": {"en": "Review", "ur": "جائزہ"},
    "saved": {"en": "✓ Saved", "ur": "✓ محفوظ ہو گیا"},
    "not_answered": {"en": "Not answered yet", "ur": "ابھی جواب نہیں دیا"},
    "not_saved": {"en": "Not saved: {msg}", "ur": "محفوظ نہیں ہوا: {msg}"},
    "answered_n": {"en": "You answered {a} of {n} questions.", "ur": "آپ نے {n} میں سے {a} سوالات کے جواب دیے۔"},
    "unanswered": {"en": "Not answered yet:", "ur": "جن کا جواب ابھی نہیں دیا:"},
    "go_to": {"en": "Question {i}", "ur": "سوال {i}"},
    "submit": {"en": "Submit my answers", "ur": "میرے جوابات جمع کریں"},
    "submit_sure": {"en": "After submitting you cannot change your answers. Submit now?",
                    "ur": "جمع کرنے کے بعد آپ جوابات تبدیل نہیں کر سکیں گے۔ ابھی جمع کریں؟"},
    "yes_submit": {"en": "Yes, submit", "ur": "ہاں، جمع کریں"},
    "not_yet": {"en": "Not yet", "ur": "ابھی نہیں"},
    "submitted": {"en": "Thank you. Your answers are submitted.", "ur": "شکریہ۔ آپ کے جوابات جمع ہو گئے ہیں۔"},
    "wait_reveal": {"en": "Your results appear here when the coach reveals them.",
                    "ur": "کوچ کے نتائج ظاہر کرنے پر آپ کے نتائج یہاں نظر آئیں گے۔"},
    "your_score": {"en": "Your score: {p} of {m} ({pct}%)", "ur": "آپ کا اسکور: {m} میں سے {p} ({pct}%)"},
    "right": {"en": "Right", "ur": "درست"},
    "wrong": {"en": "Not right", "ur": "درست نہیں"},
    "partly": {"en": "Partly right", "ur": "جزوی طور پر درست"},
    "your_answer": {"en": "Your answer", "ur": "آپ کا جواب"},
    "no_answer": {"en": "(no answer)", "ur": "(کوئی جواب نہیں)"},
    "closed": {"en": "The coach has closed this activity. Your saved answers are kept.",
               "ur": "کوچ نے یہ سرگرمی بند کر دی ہے۔ آپ کے محفوظ جوابات برقرار ہیں۔"},
    "unknown_link": {"en": "This link is not known here. Join with the code on the coach's screen.",
                     "ur": "یہ لنک یہاں معلوم نہیں۔ کوچ کی اسکرین پر دیے گئے کوڈ سے شامل ہوں۔"},
    "kind_pretest": {"en": "Pre-test", "ur": "ابتدائی جائزہ"},
    "kind_posttest": {"en": "Post-test", "ur": "اختتامی جائزہ"},
    "kind_check": {"en": "Quick check", "ur": "مختصر جائزہ"},
    "kind_retention": {"en": "Retention check", "ur": "یادداشت کا جائزہ"},
    "kind_survey": {"en": "Feedback survey", "ur": "رائے کا سروے"},
    "kind_confidence": {"en": "Confidence", "ur": "اعتماد کا جائزہ"},
    "kind_case_study": {"en": "Group exercise", "ur": "گروپ مشق"},
    "next_up": {"en": "Next: {title}", "ur": "اگلا مرحلہ: {title}"},
    "not_you": {"en": "Not {name}? Join as someone else", "ur": "آپ {name} نہیں؟ کسی اور نام سے شامل ہوں"},
    "time_left": {"en": "⏱ {time} left", "ur": "⏱ {time} باقی"},
    "time_up": {"en": "Time is up. Your saved answers are kept; please submit.",
                "ur": "وقت ختم ہو گیا۔ آپ کے محفوظ جوابات برقرار ہیں؛ براہِ کرم جمع کریں۔"},
    "tab_activity": {"en": "Activity", "ur": "سرگرمی"},
    "tab_room": {"en": "Ask the coach", "ur": "کوچ سے سوال"},
    "ask_placeholder": {"en": "Type a question for the coach", "ur": "کوچ کے لیے اپنا سوال لکھیں"},
    "anonymous": {"en": "Ask without my name", "ur": "میرے نام کے بغیر پوچھیں"},
    "send": {"en": "Send", "ur": "بھیجیں"},
    "sent": {"en": "✓ Sent. Others can now vote for it.", "ur": "✓ بھیج دیا گیا۔ دوسرے اب اس کے حق میں ووٹ دے سکتے ہیں۔"},
    "no_room_questions": {"en": "No questions yet. Be the first to ask.", "ur": "ابھی کوئی سوال نہیں۔ پہلا سوال آپ پوچھیں۔"},
    "room_hint": {"en": "Tap ▲ on the questions you also want answered.",
                  "ur": "جن سوالوں کا جواب آپ بھی چاہتے ہیں ان پر ▲ دبائیں۔"},
    "answered_by_coach": {"en": "answered", "ur": "جواب دیا جا چکا"},
    "anonymous_asker": {"en": "Anonymous", "ur": "گمنام"},
    "you": {"en": "you", "ur": "آپ"},
    "your_group": {"en": "Your group: {name}", "ur": "آپ کا گروپ: {name}"},
    "members": {"en": "Members: {names}", "ur": "اراکین: {names}"},
    "no_group": {"en": "The coach will put you in a group in a moment.", "ur": "کوچ ابھی آپ کو کسی گروپ میں شامل کریں گے۔"},
    "group_hint": {"en": "This is your group's shared answer: anyone in the group can change it.",
                   "ur": "یہ آپ کے گروپ کا مشترکہ جواب ہے: گروپ کا کوئی بھی رکن اسے بدل سکتا ہے۔"},
    "saved_by": {"en": "Saved by {name} at {time}", "ur": "{name} نے {time} پر محفوظ کیا"},
    "debrief": {"en": "Debrief", "ur": "خلاصہ و تبادلۂ خیال"},
    "group_score": {"en": "Your group's score: {p} of {m}", "ur": "آپ کے گروپ کا اسکور: {m} میں سے {p}"},
    "code_title": {"en": "Your private matching code (optional)", "ur": "آپ کا نجی ملانے والا کوڈ (اختیاری)"},
    "code_explain": {"en": "These answers let the trainers match your first and last test without your name. "
                           "Only a scrambled form is stored; nobody can read your answers back.",
                     "ur": "ان جوابات سے تربیت کار آپ کے نام کے بغیر آپ کا پہلا اور آخری ٹیسٹ ملا سکتے ہیں۔ "
                           "صرف ایک بدلی ہوئی شکل محفوظ ہوتی ہے؛ کوئی آپ کے جوابات واپس نہیں پڑھ سکتا۔"},
    # ---- branch answers: saving that waits for a locked store, the deadline, bounded typed answers
    "saving": {"en": "Saving…", "ur": "محفوظ ہو رہا ہے…"},
    "saving_n": {"en": "{n} of your answers are still being saved…", "ur": "آپ کے {n} جوابات ابھی محفوظ ہو رہے ہیں…"},
    "still_saving": {"en": "Some answers are still being saved. Please wait a moment, then submit again.",
                     "ur": "کچھ جوابات ابھی محفوظ ہو رہے ہیں۔ براہِ کرم تھوڑا انتظار کریں، پھر دوبارہ جمع کریں۔"},
    "not_submitted": {"en": "Not submitted yet: the laptop is busy. Please try again in a moment.",
                      "ur": "ابھی جمع نہیں ہوا: لیپ ٹاپ مصروف ہے۔ براہِ کرم تھوڑی دیر بعد دوبارہ کوشش کریں۔"},
    "time_up_not_saved": {"en": "Time is up: this answer was not saved. Your earlier answers are kept; please submit.",
                          "ur": "وقت ختم ہو گیا: یہ جواب محفوظ نہیں ہوا۔ آپ کے پہلے کے جوابات برقرار ہیں؛ براہِ کرم جمع کریں۔"},
    "time_up_group": {"en": "Time is up. Your group's saved answers are kept.",
                      "ur": "وقت ختم ہو گیا۔ آپ کے گروپ کے محفوظ جوابات برقرار ہیں۔"},
    "closed_not_saved": {"en": "Not saved: the coach has closed this activity. Your earlier answers are kept.",
                         "ur": "محفوظ نہیں ہوا: کوچ نے یہ سرگرمی بند کر دی ہے۔ آپ کے پہلے کے جوابات برقرار ہیں۔"},
    "submitted_not_saved": {"en": "Not saved: your answers were already submitted.",
                            "ur": "محفوظ نہیں ہوا: آپ کے جوابات پہلے ہی جمع ہو چکے ہیں۔"},
    "not_in_group": {"en": "Not saved: you are no longer in this group.",
                     "ur": "محفوظ نہیں ہوا: آپ اب اس گروپ میں نہیں ہیں۔"},
    "answer_too_long": {"en": "Please keep your answer to {limit} characters (it has {n}). It is not saved yet: "
                              "shorten it and save again.",
                        "ur": "براہِ کرم اپنا جواب {limit} حروف تک رکھیں (اس میں {n} ہیں)۔ یہ ابھی محفوظ نہیں ہوا: "
                              "اسے مختصر کر کے دوبارہ محفوظ کریں۔"},
    "answer_characters": {"en": "Your answer has a character that cannot be stored. It is not saved yet: "
                                "please type it again.",
                          "ur": "آپ کے جواب میں ایک ایسا حرف ہے جو محفوظ نہیں ہو سکتا۔ یہ ابھی محفوظ نہیں ہوا: "
                                "براہِ کرم اسے دوبارہ لکھیں۔"},
    # join-bounds: what a phone is told when a text, a code or a join is refused (apps/bounded.py)
    "field_display_name": {"en": "your name", "ur": "نام"},
    "field_sex": {"en": "sex", "ur": "جنس"},
    "field_organisation": {"en": "the organisation", "ur": "ادارہ"},
    "field_rank": {"en": "the rank or position", "ur": "عہدہ"},
    "field_province": {"en": "the province", "ur": "صوبہ"},
    "field_room_question": {"en": "your question", "ur": "سوال"},
    "text_too_long": {"en": "Please keep {what} to {limit} characters.",
                      "ur": "براہِ کرم “{what}” کے خانے میں {limit} سے زیادہ حروف نہ لکھیں۔"},
    "text_characters": {"en": "There is a character in {what} that cannot be stored. Please type it again.",
                        "ur": "“{what}” کے خانے میں ایک ایسا حرف ہے جو محفوظ نہیں ہو سکتا۔ براہِ کرم اسے دوبارہ لکھیں۔"},
    "text_missing": {"en": "Please fill in {what}.", "ur": "براہِ کرم “{what}” کا خانہ پُر کریں۔"},
    "unknown_code": {"en": "No open session has the code {code}. Check the code on the screen.",
                     "ur": "کوڈ {code} والا کوئی سیشن کھلا نہیں ہے۔ اسکرین پر لکھا کوڈ دوبارہ دیکھیں۔"},
    "unknown_card": {"en": "This card's code is not known here. Check the letters on the card, or join with the "
                           "code on the screen.",
                     "ur": "اس کارڈ کا کوڈ یہاں معلوم نہیں۔ کارڈ پر لکھے حروف دوبارہ دیکھیں، یا اسکرین پر دیے گئے کوڈ "
                           "سے شامل ہوں۔"},
    "codes_wait": {"en": "Too many wrong codes were tried. Please wait {s} seconds, then try again.",
                   "ur": "بہت سے غلط کوڈ آزمائے گئے ہیں۔ براہِ کرم {s} سیکنڈ انتظار کریں، پھر دوبارہ کوشش کریں۔"},
    "joins_wait": {"en": "Many people have joined from this network in a short while. Please wait {m} minutes, "
                         "then try again, or ask the coach.",
                   "ur": "اس نیٹ ورک سے تھوڑی دیر میں بہت سے لوگ شامل ہوئے ہیں۔ براہِ کرم {m} منٹ انتظار کریں، "
                         "پھر دوبارہ کوشش کریں، یا کوچ سے بات کریں۔"},
    "page_full": {"en": "{n} people have already joined from this page. To join someone else, open the join "
                        "address again.",
                  "ur": "اس صفحے سے {n} افراد پہلے ہی شامل ہو چکے ہیں۔ کسی اور کو شامل کرنے کے لیے جوائن کا پتہ "
                        "دوبارہ کھولیں۔"},
    "removed": {"en": "The coach has taken you out of this session. To take part, join again with the code on the "
                      "coach's screen.",
                "ur": "کوچ نے آپ کو اس سیشن سے نکال دیا ہے۔ حصہ لینے کے لیے کوچ کی اسکرین پر دیے گئے کوڈ سے دوبارہ "
                      "شامل ہوں۔"},
    # the page a phone gets when it loaded the page too often in a short while (toolkit/voila_app.py)
    "too_many_title": {"en": "Please wait a minute", "ur": "براہِ کرم ایک منٹ انتظار کریں"},
    "too_many_body": {"en": "This phone opened the page many times in a short while. Wait a minute, then reload "
                            "the page.",
                      "ur": "اس فون نے تھوڑی دیر میں یہ صفحہ کئی بار کھولا ہے۔ ایک منٹ انتظار کریں، پھر صفحہ دوبارہ "
                            "کھولیں۔"},
    # serve-cap: the page a phone gets when the laptop holds as many phones as it can (toolkit/voila_app.py)
    "room_full_title": {"en": "The room is full: ask the coach", "ur": "کمرہ بھرا ہوا ہے: کوچ سے پوچھیں"},
    "room_full_body": {"en": "This laptop already holds as many phones as it can. Ask the coach; this page "
                             "tries again by itself every half minute.",
                       "ur": "یہ لیپ ٹاپ جتنے فون سنبھال سکتا ہے، اتنے پہلے ہی جڑے ہوئے ہیں۔ کوچ سے پوچھیں؛ "
                             "یہ صفحہ ہر آدھے منٹ بعد خود دوبارہ کوشش کرے گا۔"},
    # serve-race: the page reloads itself once when the app does not show (the template's recovery script)
    "page_reloading": {"en": "The page did not open. Opening it again…",
                       "ur": "صفحہ نہیں کھلا۔ اسے دوبارہ کھولا جا رہا ہے…"},
    "page_still_closed": {"en": "The page still did not open. Reload it, or ask the coach for help.",
                          "ur": "صفحہ اب بھی نہیں کھلا۔ اسے دوبارہ لوڈ کریں، یا کوچ سے مدد لیں۔"},
}


def t(key: str, lang: str, **kw: Any) -> str:
    text = tr(T[key], lang)
    return text.format(**kw) if kw else text


def esc(text: str | None) -> str:
    return html.escape(text or "", quote=True)
