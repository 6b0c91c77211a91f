# Unit tests: the lock folder and the locks (Private/Lock.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'Enter-Lock, Exit-Lock and Invoke-LockedReconcile' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Given another handle holds the lock file, does not get it; once closed, does' {
        InModuleScope WslPortProxy {
            $directory = Join-Path $env:ProgramData 'WslPortProxy'
            $first = Enter-Lock -Name Reconcile -Directory $directory
            $first | Should -BeOfType [System.IO.FileStream]
            $first.Name | Should -Be (Join-Path (Join-Path $directory 'locks') 'Reconcile.lock')
            Enter-Lock -Name Reconcile -Directory $directory | Should -BeNullOrEmpty
            Enter-Lock -Name Watch -Directory $directory | Should -Not -BeNullOrEmpty -Because 'each lock is its own file'
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            Enter-Lock -Name Reconcile -Directory $directory -TimeoutSeconds 1 | Should -BeNullOrEmpty
            $clock.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 1
            Exit-Lock -Lock $first
            $again = Enter-Lock -Name Reconcile -Directory $directory -TimeoutSeconds 5
            $again | Should -BeOfType [System.IO.FileStream]
            Exit-Lock -Lock $again
            Exit-Lock -Lock $null
        }
    }

    It 'makes the lock folder (and the install folder) when missing, for Administrators and SYSTEM only' {
        InModuleScope WslPortProxy {
            $directory = Join-Path $env:ProgramData 'WslPortProxy'
            $folder = Initialize-LockFolder -Directory $directory
            $folder | Should -Be (Join-Path $directory 'locks')
            (Get-Acl -LiteralPath $folder).Sddl | Should -Be 'O:BAG:SYD:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)'
            (Get-LockFolderProblem -Path $folder).Reason | Should -BeNullOrEmpty
        }
    }

    It 'Given an extra entry that lets the task account read the lock folder, locks the folder and its files again' {
        InModuleScope WslPortProxy {
            $directory = Join-Path $env:ProgramData 'WslPortProxy'
            $folder = Initialize-LockFolder -Directory $directory
            Exit-Lock -Lock (Enter-Lock -Name Watch -Directory $directory)
            $file = Join-Path $folder 'Watch.lock'
            $acls = Read-SimState 'acl.json' @{}
            $open = '(A;OICIID;FA;;;BA)(A;OICIID;FA;;;SY)(A;OICIID;0x1200a9;;;S-1-5-21-1004336348-1177238915-682003330-1001)'
            $acls[[System.IO.Path]::GetFullPath($folder)] = @{ owner = 'BA'; dacl = $open }
            $acls[[System.IO.Path]::GetFullPath($file)] = @{ owner = 'BA'; dacl = $open }
            Write-SimState 'acl.json' $acls
            $problem = Get-LockFolderProblem -Path $folder
            $problem.Repairable | Should -BeTrue
            $problem.Reason | Should -Be 'it lets S-1-5-21-1004336348-1177238915-682003330-1001 open its files'

            Initialize-LockFolder -Directory $directory | Should -Be $folder
            (Get-Acl -LiteralPath $folder).Sddl | Should -Be 'O:BAG:SYD:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)'
            (Get-Acl -LiteralPath $file).Sddl | Should -Be 'O:BAG:SYD:PAI(A;;FA;;;BA)(A;;FA;;;SY)'
        }
    }

    It 'Given a lock folder someone else made (<Case>), refuses it with exit code 8 and never locks anything in it' -ForEach @(
        @{ Case = 'owned by a user'; Plant = { param($Path) New-Item -ItemType Directory -Path $Path -Force | Out-Null; Set-SimPlanted -Path $Path }
            Reason = 'it is owned by S-1-5-21-1004336348-1177238915-682003330-1005, not by Administrators or SYSTEM' }
        @{ Case = 'a link'; Plant = { param($Path) $target = Join-Path $env:ProgramData 'elsewhere'; New-Item -ItemType Directory -Path $target | Out-Null; New-Item -ItemType Directory -Path (Split-Path $Path) -Force | Out-Null; New-Item -ItemType SymbolicLink -Path $Path -Value $target | Out-Null }
            Reason = 'it is a SymbolicLink' }
        @{ Case = 'a file'; Plant = { param($Path) New-Item -ItemType Directory -Path (Split-Path $Path) -Force | Out-Null; Set-Content -LiteralPath $Path -Value 'x' }
            Reason = 'it is not a folder' }
    ) {
        $directory = Join-Path $env:ProgramData 'WslPortProxy'
        & $Plant (Join-Path $directory 'locks')
        InModuleScope WslPortProxy -Parameters @{ Directory = $directory; Reason = $Reason } {
            param($Directory, $Reason)
            { Enter-Lock -Name Reconcile -Directory $Directory } | Should -Throw -ErrorId 'WslPortProxy.LockFolderUnsafe' -ExpectedMessage "The lock folder $(Join-Path $Directory 'locks') cannot be trusted ($Reason*"
            try { Enter-Lock -Name Reconcile -Directory $Directory } catch { $_.Exception.Data['WslPortProxyExitCode'] | Should -Be 8 }
        }
        Test-Path -LiteralPath (Join-Path $directory 'locks/Reconcile.lock') | Should -BeFalse
    }

    It 'Given the lock file cannot be opened at all (not elevated), fails at once with exit code 8 (LockDenied)' {
        InModuleScope WslPortProxy {
            Test-LockBusy -Exception (New-Object System.IO.IOException 'The process cannot access the file because it is being used by another process.', -2147024864) | Should -BeTrue
            Test-LockBusy -Exception (New-Object System.UnauthorizedAccessException 'Access to the path is denied.') | Should -BeFalse
            Test-LockBusy -Exception (New-Object System.IO.DirectoryNotFoundException 'gone') | Should -BeFalse
            $directory = Join-Path $env:ProgramData 'WslPortProxy'
            Mock Test-LockBusy { $false }
            $lock = Enter-Lock -Name Reconcile -Directory $directory
            { Enter-Lock -Name Reconcile -Directory $directory -TimeoutSeconds 30 } | Should -Throw -ErrorId 'WslPortProxy.LockDenied' -ExpectedMessage "Cannot open the lock file $(Join-Path $directory 'locks' | Join-Path -ChildPath 'Reconcile.lock') (*). Run elevated."
            Exit-Lock -Lock $lock
        }
    }

    It 'the module makes no named kernel object (mutex, semaphore, event): any user may create one first in Global\' {
        $module = Split-Path -Parent $global:WslppModuleUnderTest
        $found = @(Get-ChildItem -LiteralPath $module -Recurse -Filter '*.ps1' | Select-String -Pattern 'Threading\.(Mutex|Semaphore|EventWaitHandle)|Global\\')
        $found | Should -BeNullOrEmpty
    }

    It 'Under -WhatIf, reconciles without taking a lock or making its folder' {
        InModuleScope WslPortProxy {
            Mock Enter-Lock { throw 'no lock under -WhatIf' }
            Mock Invoke-Reconcile { [pscustomobject]@{ Message = 'what if' } }
            $settings = [pscustomobject]@{ Server = 'WEB-01'; WaitForWslSeconds = 1; InstallDirectory = $TestDrive }
            (Invoke-LockedReconcile -Settings $settings -Log (Open-RunLog -Directory $TestDrive -NoFile) -WhatIf).Message | Should -Be 'what if'
            Should -Invoke Enter-Lock -Times 0 -Exactly
        }
    }

    It 'Given the lock stays taken, fails with exit code 8' {
        InModuleScope WslPortProxy {
            Mock Enter-Lock { $null }
            $settings = [pscustomobject]@{ Server = 'WEB-01'; WaitForWslSeconds = 1; InstallDirectory = $TestDrive }
            { Invoke-LockedReconcile -Settings $settings -Log (Open-RunLog -Directory $TestDrive -NoFile) } |
                Should -Throw -ErrorId 'WslPortProxy.LockTimeout' -ExpectedMessage 'Another run has been reconciling this server for too long; giving up.'
        }
    }
}
