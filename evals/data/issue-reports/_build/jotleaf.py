# Project 3: "Jotleaf" - fictional mobile note-taking app (iOS/Android), reports from end users
from common import write

ISSUES = [
("bug", "ALL MY NOTES ARE GONE AFTER UPDATE", r"""
i updated the app this morning and now it shows 'No notes yet'. I had like 400 notes in there, recipes, my work stuff, everything. I did NOT delete anything. iPhone 13, app says version 4.1.0. Please tell me they are not lost. I have been using Jotleaf for 3 years and paying for premium
"""),
("question", "How do I move a note to another folder?", r"""
Sorry if this is obvious. I made a note in the wrong folder and I can't find how to move it. Long press just selects text.
"""),
("feature", "Dark mode for the widget please", r"""
The app has dark mode but the widget is always white, which looks bad on my dark home screen. Please add a dark version or make it follow the system setting.
"""),
("bug", "App crashes when opening a note with a photo", r"""
Every time I open one specific note (it has a photo from my camera in it) the app closes itself. Other notes open fine. I tried restarting the phone.

Phone: Pixel 7, Android 14
App version: 3.8.2 (from Play Store)

The photo is quite big I think, it's from the 50MP mode.
"""),
("question", "Does it sync between iPhone and iPad?", r"""
Thinking about buying premium. Will my notes be on both my iPhone and iPad automatically? And do I need premium for that or is it free?
"""),
("bug", "Checklist items change order after sync", r"""
I have a shopping list as a checklist. I drag the items into the order of the aisles in my supermarket on my phone. When I open the list on my iPad the order is different, and after that the phone also changes to the iPad order. This happens almost every time.

Both devices on the latest version (4.0.3).
"""),
("feature", "Lock individual notes with Face ID", r"""
I would love to be able to lock a few notes (bank info etc.) with Face ID, without locking the whole app. App lock is all or nothing right now.
"""),
("question", "export everything to pdf?", r"""
is there a way to export all my notes as PDF at once? i need to give my notes to my lawyer. i can only do it one by one
"""),
("bug", "Keyboard covers what I'm typing", r"""
When my note gets long and I type at the bottom, the keyboard hides the line I am writing on. I have to scroll down by hand after every line. Samsung Galaxy A54, using Samsung keyboard. Didn't happen before.
"""),
("question", "Sync not working?", r"""
Notes I write on my phone don't show on my tablet and the other way around. Both say "Synced just now" at the bottom. I'm logged in on both. What's wrong?

Phone: Android, logged in with Google
Tablet: Amazon Fire, logged in with email
"""),
("feature", "Handwriting with Apple Pencil", r"""
It would be nice to write with the Apple Pencil in a note, at least for small sketches. Right now I have to draw in another app and paste a screenshot.
"""),
("bug", "Reminders are 1 hour late", r"""
Since last Sunday all my reminders arrive 1 hour after the time I set. I set a reminder for 9:00, it comes at 10:00. New reminders I create now are correct, only the old ones (weekly ones) are wrong.

We changed the clocks last weekend (summer time), so maybe that's related?

iPhone 12, iOS 17.4, Jotleaf 4.0.3
"""),
("question", "What happens to my notes if I stop paying?", r"""
If I cancel premium, will I lose the notes I made while I had premium? Or the pictures? I have a lot of photos in notes.
"""),
("bug", "search doesn't find words with accents", r"""
I write notes in French. If I search 'cafe' it doesnt find notes with 'café'. If I search 'café' with the accent, it also doesn't find them?? It only finds the title, not the text inside the note. Android, version 4.0.1
"""),
("feature", "Tags inside tags", r"""
I have a lot of tags now, e.g. work-projectA, work-projectB, home-garden... It would be so much easier with nested tags like work/projectA. The Bear app does it like that.
"""),
("bug", "Logs me out every day", r"""
For about a week I have to log in again every morning. Very annoying because I use the widget and it just says 'Sign in to see notes'. I log in with Google. Xiaomi Redmi Note 12. I have battery saver on but I had it before too.
"""),
("question", "Where are notes stored on the phone?", r"""
I want to make my own backup on my computer. Which folder on the phone has the notes? I connected the phone to the PC but I can't find a Jotleaf folder.
"""),
("bug", "Widget shows an old version of my note", r"""
The home screen widget shows my to-do note but it's not up to date. I checked off things in the app an hour ago and the widget still shows them unchecked. Tapping the widget opens the current version. Removing and re-adding the widget fixes it until next time.

iOS 17.5, iPhone 15, app 4.1.0
"""),
("feature", "Bigger font only in the editor", r"""
My eyes aren't great, I'd like the note text bigger but I don't want to change the font size for the whole phone. Please add a text size setting in the app.
"""),
("bug", "Weird grey background when I paste text", r"""
When I copy text from a website in Safari and paste it into a note, it gets a grey background and a different font. I can't remove the grey. 'Clear formatting' does nothing. I just want plain text
"""),
("question", "Deleted a note by accident yesterday", r"""
I deleted an important note by mistake yesterday. Is it gone forever? I don't see any bin or trash.
"""),
("feature", "Markdown", r"""
pls support markdown. at least # for headings and **bold** when typing
"""),
("question", "Voice recording cuts off at 1 minute", r"""
Every voice note I record stops at exactly 1:00. Is that a bug? I need to record longer meetings. iPhone 11
"""),
("bug", "Can't sign in with Apple - error 1001", r"""
When I tap "Continue with Apple" and use Face ID, it goes back to the app and shows "Something went wrong (code 1001)". I tried 5 times. My husband has the same problem on his phone so it's not just me.

iPhone 14 Pro, iOS 17.5.1
"""),
("feature", "Shared shopping list with my family", r"""
We want a shopping list that my husband and I can both edit, and see each other's changes. At the moment I send him a screenshot which is silly.

Something like "Share note > invite by email" where both of us can check things off.
"""),
("bug", "Dates showing in American format", r"""
My phone is set to English (UK) and region United Kingdom, but the note dates show as 05/14/2024 instead of 14/05/2024. Very confusing for the first 12 days of every month!!
"""),
("question", "Can you read my notes?", r"""
Are the notes encrypted? Can people working at Jotleaf read what I write? I write private things (health stuff) and want to be sure before I use the app for that.
"""),
("bug", "Pictures blurry on my second phone", r"""
Photos I add on my work phone look perfect there, but on my personal phone they're blurry, like a thumbnail that was stretched. I waited a day in case it was still downloading. Both have "Original quality" turned on in Settings > Sync > Attachments. Both Android, Jotleaf 4.0.3.
"""),
("question", "Is there a web version planned?", r"""
I'd like to use Jotleaf on my work computer (I can't install apps there). Is there a web version or is one planned?
"""),
("bug", "Undo not working after making text bold", r"""
If I make a word bold using the toolbar and then press undo (the arrow), nothing happens. Also the text I typed before that cannot be undone any more. Undo works if I don't use the toolbar. iPad Air, iPadOS 17.
"""),
("feature", "Let me sort folders by hand", r"""
Folders are always alphabetical. I want 'Today' at the top and 'Archive' at the bottom. Drag and drop to reorder would be perfect. Right now I name them '1 Today', '9 Archive' to trick it.
"""),
("bug", "App is very slow / freezing with lots of notes", r"""
I imported all my old notes from Evernote and now I have around 2300 notes. The app freezes for 5-10 seconds every time I open it and when I go back from a note to the list. Scrolling the list is choppy. Before the import it was fine.

Samsung S21, Android 14, 4.0.3. Phone has plenty of storage.
"""),
("question", "Import from Google Keep?", r"""
Can I bring my Google Keep notes into Jotleaf? I have about 300. I tried Google Takeout but got a bunch of html and json files and don't know what to do with them.
"""),
("bug", "Reminders show twice on Apple Watch", r"""
Every reminder shows up two times on my watch, and it buzzes twice. On the phone only once. Apple Watch Series 8, watchOS 10.4.
"""),
("feature", "Pin notes to top", ""),
("bug", "Note list squished on tablet in landscape", r"""
On my Galaxy Tab S8 in landscape, the note list on the left is very narrow, titles are cut after 3 letters. Portrait is ok. There's no way to drag the divider.
"""),
("question", "Why does it want access to my contacts?", r"""
When I tapped share on a note the app asked for permission to access my contacts. Why? I don't want the app to upload my contacts. Is it safe to say no?
"""),
("bug", "bullets turn into * after editing on android", r"""
I make bullet lists on my iPad and when I edit the same note on my android phone, all the bullets become * characters and the indentation is gone. Then on the iPad they stay as * too. it ruins my notes
"""),
("feature", "Repeat reminders on specific weekdays", r"""
Reminders can repeat daily/weekly/monthly, but I need 'every Monday and Thursday' (bins day and gym lol). Now I make two separate reminders.
"""),
("bug", "Paid for premium but still free", r"""
I bought the yearly premium yesterday (charged €19.99, I have the Google Play receipt GPA.3392-1183-4410-27715). The app still shows "Upgrade to Premium". I pressed "Restore purchases" and it says "No purchases found". Logged out and in again. Still nothing.
"""),
("question", "turn off the sound when I tick a checkbox", r"""
Every time I tick an item there's a 'pop' sound. How do I turn that off without muting my phone?
"""),
("feature", "Scan documents into a note", r"""
Would be great to have a 'scan' button that uses the camera, crops the page and makes it readable, like Apple's Notes app. I take photos of receipts and they are always crooked.
"""),
("bug", "Hebrew text alignment is wrong", r"""
When I write in Hebrew the text is aligned to the left and punctuation jumps to the wrong side. Mixed Hebrew and English in one line is a mess. Other apps on my phone do it right. Android 13
"""),
("feature", "Choose the folder for quick notes from the widget", r"""
The 'quick note' widget always saves into Inbox. I'd like to pick a folder for it, or have two widgets, one for work and one for home.
"""),
("bug", "Lost what I wrote while offline", r"""
I was on a plane with no internet and wrote a long note (maybe 1 hour of writing). When I landed and the phone connected, the note went back to the version from before the flight. Everything I wrote is gone. Is there any way to get it back??

iPhone 15 Pro, 4.1.0
"""),
("question", "Can my wife use my premium?", r"""
Is there a family plan? Or can I share my premium with my wife's account? We are both on iPhone with Family Sharing turned on.
"""),
("feature", "Bring back the colored labels", r"""
In version 3 I could give each note a color and the list showed a colored stripe. That is gone in version 4?? I used colors to organize everything (red = urgent, green = done). Now all notes look the same. Please bring them back, at least as an option.
"""),
("bug", "links not clickable anymore", r"""
since the last update, web links in my notes are just text, tapping them does nothing. before they were blue and opened the browser. android 4.1.0
"""),
]

if __name__ == "__main__":
    write("jotleaf", ISSUES, first=3021, seed=303, max_gap=9)
