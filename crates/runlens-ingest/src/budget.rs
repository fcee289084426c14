//! The artifact budget as one read sees it: [`runlens_core::ArtifactBudget`]'s answers,
//! plus how far they hold. A walk read on several threads starts each read with the bytes
//! left when it was handed out, before the reads ahead of it have taken theirs; [`ReadBudget::slack`]
//! tells whether the read would have gone the same with the bytes actually left then
//! (`sources`: otherwise it is read again).

use runlens_core::ArtifactBudget;

/// How many artifact bytes a read may still embed ([`crate::ReadOutput::budget`]): a
/// reader asks it before copying a file into the report; what does not fit is listed
/// without content, and counted.
#[derive(Debug, Clone, Copy)]
pub struct ReadBudget {
    budget: ArtifactBudget,
    /// The least room left after a file that fit (`u64::MAX` while none did).
    slack: u64,
}

impl ReadBudget {
    /// `budget`, no question asked of it yet.
    pub(crate) fn new(budget: ArtifactBudget) -> Self {
        Self {
            budget,
            slack: u64::MAX,
        }
    }

    /// Bytes left.
    pub fn remaining(&self) -> u64 {
        self.budget.remaining()
    }

    /// Takes `size` bytes if they fit; false (nothing taken, the file counted as left out)
    /// otherwise.
    pub fn take(&mut self, size: u64) -> bool {
        let before = self.budget.remaining();
        let taken = self.budget.take(size);
        self.answered(before, size, taken)
    }

    /// Whether `size` bytes fit, without taking them; a file that does not fit is counted
    /// as left out.
    pub fn fits(&mut self, size: u64) -> bool {
        let before = self.budget.remaining();
        let fits = self.budget.fits(size);
        self.answered(before, size, fits)
    }

    /// Notes the answer `fits` to whether `size` bytes fit in the `before` bytes left.
    fn answered(&mut self, before: u64, size: u64, fits: bool) -> bool {
        if fits {
            self.slack = self.slack.min(before - size);
        }
        fits
    }

    /// Gives back `size` bytes taken for a file that was not embedded after all.
    pub fn give_back(&mut self, size: u64) {
        self.budget.give_back(size);
    }

    /// How many files, of how many bytes in all, did not fit.
    pub fn left_out(&self) -> (u64, u64) {
        self.budget.left_out()
    }

    /// How many bytes fewer the budget could have held at the start, every answer it gave
    /// staying the same: a file that fit still fits, and one that did not still does not
    /// (there was less room). `u64::MAX` when no file fit.
    pub(crate) fn slack(&self) -> u64 {
        self.slack
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_is_the_least_room_left_after_a_file_that_fit() {
        let mut budget = ReadBudget::new(ArtifactBudget::new(100));
        assert_eq!(budget.slack(), u64::MAX);
        assert!(!budget.take(150));
        assert_eq!(
            budget.slack(),
            u64::MAX,
            "a file left out leaves the slack alone"
        );
        assert!(budget.take(30));
        assert_eq!(budget.slack(), 70);
        assert!(budget.fits(60));
        assert_eq!(budget.slack(), 10);
        budget.give_back(30);
        assert!(budget.take(20));
        assert_eq!((budget.remaining(), budget.slack()), (80, 10));
        assert_eq!(budget.left_out(), (1, 150));
        // Started with 10 bytes fewer, every answer is the same: 150 > 90, 30 <= 90,
        // 60 <= 60, and 20 <= 90.
        let mut less = ReadBudget::new(ArtifactBudget::new(90));
        assert!(!less.take(150) && less.take(30) && less.fits(60));
        less.give_back(30);
        assert!(less.take(20));
        assert_eq!(less.remaining(), 70);
    }
}
